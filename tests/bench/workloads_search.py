"""Search on the database backends at 10k and 100k entries: search and suggest p50/p95 against the raw SQL
full-text query as the baseline, and indexing throughput.

The entries are generated in Bahasa Indonesia from the words and sentence shapes of the real OpenSID notes
(../shared/data/opensid-release-notes.tsv, read at run time), so that term frequencies look like the real
thing. `generate_corpus` is reusable by the engine benchmark.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.search_eval.core import QUERIES, default_corpus, load_corpus, load_queries

_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
QUESTION_OPENERS = [
    "Selamat pagi, mohon bantuan.",
    "Permisi admin,",
    "Assalamualaikum, izin bertanya.",
    "Tolong dibantu ya,",
    "Mau tanya,",
]
QUESTION_CLOSERS = ["Terima kasih.", "Mohon pencerahannya.", "Sudah dicoba berkali-kali.", "Versi terbaru."]


class NoteVocabulary:
    """Sentences and word frequencies of the real notes, to write new text that looks like them."""

    def __init__(self, notes: list[str]) -> None:
        self.notes = notes
        counts = Counter(w.lower() for note in notes for w in _WORD.findall(note))
        self.words = list(counts)
        self.weights = [counts[w] for w in self.words]

    @classmethod
    def load(cls, path: Path | None = None) -> NoteVocabulary:
        return cls([e.title for e in load_corpus(path or default_corpus())])

    def sentence(self, rng: random.Random) -> str:
        words = rng.choice(self.notes).rstrip(".").split()
        for _ in range(rng.randint(1, 3)):  # swap a few words so that no two entries are the same note
            words[rng.randrange(len(words))] = rng.choices(self.words, self.weights)[0]
        return " ".join(words) + "."

    def words_sample(self, rng: random.Random, n: int) -> str:
        return " ".join(rng.choices(self.words, self.weights, k=n))


def generate_corpus(vocabulary: NoteVocabulary, n: int, seed: int = 7) -> Iterator[Any]:
    from search.types import Document

    rng = random.Random(seed)
    categories = ["kependudukan", "surat-tte", "layanan-mandiri", "keuangan", "update-migrasi", "lainnya"]
    for i in range(n):
        title = vocabulary.sentence(rng)
        body = " ".join(vocabulary.sentence(rng) for _ in range(rng.randint(2, 5)))
        yield Document(
            doc_type="kb",
            doc_id=str(i),
            external_id=f"gen-{i}",
            title=title,
            body=body,
            category=rng.choice(categories),
            region_code=f"{rng.randint(11, 94):02d}.{rng.randint(1, 20):02d}",
            accepted=rng.random() < 0.3,
            helpful_votes=rng.randint(0, 20),
        )


def ticket_text(vocabulary: NoteVocabulary, rng: random.Random) -> str:
    parts = [rng.choice(QUESTION_OPENERS)]
    parts += [vocabulary.sentence(rng) for _ in range(rng.randint(1, 3))]
    parts.append(rng.choice(QUESTION_CLOSERS))
    return " ".join(parts)


def _baseline_queries(backend: Any, plans: list[Any]) -> list[tuple[str, list[Any]]]:
    """The baseline: the database's own full-text query over the same candidate terms as the backend's,
    top 10 by its own rank (bm25(), ts_rank_cd); no reranking, no snippets, no typo or synonym work."""
    raw = []
    for plan in plans:
        retrieval = backend._retrieval(plan, backend._stats(plan.terms))
        if retrieval is None:
            continue
        source, condition, params, _order, _ = backend.dialect.match(retrieval)
        if backend.dialect.vendor == "sqlite":
            order, order_params = "bm25(search_document_fts, 2.0, 1.0)", []
        else:
            order, order_params = "ts_rank_cd(d.tsv, %s::tsquery) DESC", params
        raw.append((f"SELECT d.id FROM {source} WHERE {condition} ORDER BY {order} LIMIT 10",
                    [*params, *order_params]))
    return raw


def bench_search_database(ctx: Any) -> list[dict[str, Any]]:
    from django.db import connection

    from search.analysis import plan_query
    from search.backends.database import DatabaseBackend
    from search.synonyms import current_synonyms
    from search.types import SearchQuery

    corpus_path = default_corpus()
    if not corpus_path.exists():
        ctx.log(f"   skipped: {corpus_path} not found (set HELPDESK_SEARCH_EVAL_CORPUS)")
        return []
    vocabulary = NoteVocabulary.load(corpus_path)
    operator_queries = [q.text for q in load_queries(QUERIES)]
    rng = random.Random(11)
    generated_queries = [vocabulary.words_sample(rng, rng.randint(2, 4)) for _ in range(40)]
    queries = operator_queries + generated_queries
    tickets = [ticket_text(vocabulary, rng) for _ in range(60)]
    backend = DatabaseBackend()
    synonyms = current_synonyms()
    results: list[dict[str, Any]] = []

    for n in ctx.scale:
        label = f"search.{connection.vendor}.{n // 1000}k"
        started = time.perf_counter()
        indexed = backend.reindex(generate_corpus(vocabulary, n))
        seconds = time.perf_counter() - started
        ctx.log(f"   {label}: indexed {indexed} entries in {seconds:.1f} s")
        results.append({
            "name": f"{label}.index_all",
            "samples_ms": [seconds * 1000],
            "extra": {"entries": indexed, "entries_per_second": round(indexed / seconds, 1)},
        })

        # Incremental indexing (what the outbox does per saved entry): one document per call and transaction.
        fresh = list(generate_corpus(vocabulary, 200, seed=n + 1))
        single = [
            ctx.timed(lambda d=d: backend.index([d.__class__(**{**d.__dict__, "doc_id": f"new-{d.doc_id}"})]),
                      repeat=1, warmup=0)[0]
            for d in fresh[: ctx.repeat(200)]
        ]
        results.append({"name": f"{label}.index_one", "samples_ms": single,
                        "extra": {"entries_per_second": round(1000 / (sum(single) / len(single)), 1)}})

        cycle = iter(range(10**9))

        def one_search(queries: list[str] = queries, cycle: Iterator[int] = cycle) -> None:
            backend.search(SearchQuery(text=queries[next(cycle) % len(queries)], limit=10))

        plans = [plan_query(q, synonyms=synonyms) for q in queries]
        raw = _baseline_queries(backend, plans)
        raw_cycle = iter(range(10**9))

        def raw_search(raw: list[tuple[str, list[Any]]] = raw, raw_cycle: Iterator[int] = raw_cycle) -> None:
            sql, params = raw[next(raw_cycle) % len(raw)]
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                cursor.fetchall()

        repeat = ctx.repeat(len(queries) * 3)
        search_samples = ctx.timed(one_search, repeat=repeat, warmup=10)
        raw_samples = ctx.timed(raw_search, repeat=repeat, warmup=10)
        results.append({
            "name": f"{label}.search",
            "samples_ms": search_samples,
            "baseline": "raw full-text SQL",
            "baseline_samples_ms": raw_samples,
            "queries": ctx.count_queries(lambda: backend.search(SearchQuery(text=queries[0]))),
            "target": "p95 <= 50 ms at 100k on PostgreSQL",
        })

        t_cycle = iter(range(10**9))

        def one_suggest(tickets: list[str] = tickets, t_cycle: Iterator[int] = t_cycle) -> None:
            backend.suggest(tickets[next(t_cycle) % len(tickets)])

        suggest_plans = [backend.suggest_plan(t) for t in tickets]
        raw_suggest = _baseline_queries(backend, suggest_plans)
        rs_cycle = iter(range(10**9))

        def raw_suggest_query(raw: list[tuple[str, list[Any]]] = raw_suggest, rs_cycle: Iterator[int] = rs_cycle) -> None:
            sql, params = raw[next(rs_cycle) % len(raw)]
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                cursor.fetchall()

        repeat = ctx.repeat(len(tickets) * 3)
        suggest_samples = ctx.timed(one_suggest, repeat=repeat, warmup=5)
        raw_suggest_samples = ctx.timed(raw_suggest_query, repeat=repeat, warmup=5)
        results.append({
            "name": f"{label}.suggest",
            "samples_ms": suggest_samples,
            "baseline": "raw full-text SQL",
            "baseline_samples_ms": raw_suggest_samples,
            "target": "p95 <= 100 ms at 100k on PostgreSQL",
        })
    backend.reindex([])
    return results
