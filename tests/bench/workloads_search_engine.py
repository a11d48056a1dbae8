"""Search on the engine (OpenSearch) at 100k and 1M entries, against the raw engine query as the baseline, and
against the PostgreSQL backend on the same entries in the same run.

    HELPDESK_BENCH_ENGINE_SCALE=100000,1000000 python -m tests.bench --db postgres --only search_engine

Measured per size: reindex time (build a new index through the alias swap: analysis + bulk), bulk indexing
throughput (`index()` in batches of 500 as the outbox runs it, against a raw `_bulk` of the same pre-analysed
documents), search p50/p95 (against the same first request sent raw through the client: no analysis, typo
round trip, highlighting), suggest p50/p95 (against its raw more-like-this request), and the PostgreSQL backend's
indexing, search and suggest on the same generated entries. Entries are generated in Bahasa Indonesia from the
real notes' words, exactly as tests/bench/workloads_search.py generates them (same seeds, same text).

Skipped, with a log line, when HELPDESK_TEST_SEARCH_URL is unset. In the SQLite pass it is left to the
PostgreSQL pass when that one is configured (the comparison needs PostgreSQL). `--quick`: 2,000 entries.
"""

from __future__ import annotations

import copy
import itertools
import os
import random
import time
from collections.abc import Iterator
from typing import Any

from tests.bench.workloads_search import NoteVocabulary, generate_corpus, ticket_text
from tests.search_eval.core import QUERIES, default_corpus, load_queries

DEFAULT_SCALE = "100000,1000000"
BULK_SAMPLE = 20_000


class FastNoteVocabulary(NoteVocabulary):
    """The same text as NoteVocabulary (same random draws, same results), without recomputing the cumulative
    weights on every draw: generating a million entries otherwise takes longer than indexing them."""

    def __init__(self, notes: list[str]) -> None:
        super().__init__(notes)
        self.cumulative = list(itertools.accumulate(self.weights))
        self.split = [note.rstrip(".").split() for note in self.notes]

    def sentence(self, rng: random.Random) -> str:
        words = list(rng.choice(self.split))
        for _ in range(rng.randint(1, 3)):
            words[rng.randrange(len(words))] = rng.choices(self.words, cum_weights=self.cumulative)[0]
        return " ".join(words) + "."

    def words_sample(self, rng: random.Random, n: int) -> str:
        return " ".join(rng.choices(self.words, cum_weights=self.cumulative, k=n))


def _sizes(ctx: Any) -> list[int]:
    if ctx.quick:
        return [2000]
    raw = os.environ.get("HELPDESK_BENCH_ENGINE_SCALE", DEFAULT_SCALE)
    return [int(s) for s in raw.split(",") if s.strip()]


def _cycle(items: list[Any]) -> Iterator[Any]:
    return itertools.cycle(items)


def bench_search_engine(ctx: Any) -> list[dict[str, Any]]:
    from django.db import connection

    from helpdesk.settings.env import search_config
    from search.backends.database import DatabaseBackend
    from search.backends.engine import EngineBackend

    raw_url = os.environ.get("HELPDESK_TEST_SEARCH_URL", "")
    if not raw_url:
        ctx.log("   skipped: HELPDESK_TEST_SEARCH_URL is not set (source .services/env to benchmark OpenSearch)")
        return []
    corpus_path = default_corpus()
    if not corpus_path.exists():
        ctx.log(f"   skipped: {corpus_path} not found (set HELPDESK_SEARCH_EVAL_CORPUS)")
        return []
    compare = connection.vendor == "postgresql"
    if not compare and os.environ.get("HELPDESK_TEST_POSTGRES_URL") and not ctx.quick:
        ctx.log("   left to the PostgreSQL pass (it compares the engine with the PostgreSQL backend)")
        return []
    config = search_config(raw_url)
    base = NoteVocabulary.load(corpus_path)
    vocabulary = FastNoteVocabulary(base.notes)
    # The same questions and ticket texts as the database benchmark (same seeds).
    operator_queries = [q.text for q in load_queries(QUERIES)]
    rng = random.Random(11)
    queries = operator_queries + [vocabulary.words_sample(rng, rng.randint(2, 4)) for _ in range(40)]
    tickets = [ticket_text(vocabulary, rng) for _ in range(60)]
    # The production timeout (2 s): a search slower than its share falls back, and the run counts fallbacks.
    engine = EngineBackend(engine=config.engine, url=config.url, prefix=f"bench-{os.getpid()}", drop_grace_seconds=0)
    database = DatabaseBackend()
    results: list[dict[str, Any]] = []
    try:
        for n in _sizes(ctx):
            results += _one_size(ctx, n, vocabulary, queries, tickets, engine, database if compare else None)
    finally:
        engine.drop_all()
        if compare:
            database.reindex([])
    return results


def _one_size(ctx: Any, n: int, vocabulary: NoteVocabulary, queries: list[str], tickets: list[str], engine: Any,
              database: Any) -> list[dict[str, Any]]:
    from search.backends.engine_mapping import doc_key, to_source
    from search.types import SearchQuery

    results: list[dict[str, Any]] = []
    label = f"search_engine.{engine.engine}.{n // 1000}k"

    # Reindex: a new index through the alias swap (analysis in Python + bulk + refresh + swap).
    started = time.perf_counter()
    indexed = engine.reindex(generate_corpus(vocabulary, n))
    seconds = time.perf_counter() - started
    ctx.log(f"   {label}: reindexed {indexed} entries in {seconds:.1f} s ({indexed / seconds:.0f}/s)")
    results.append({"name": f"{label}.reindex", "samples_ms": [seconds * 1000],
                    "extra": {"entries": indexed, "entries_per_second": round(indexed / seconds, 1)}})

    # Bulk indexing as the outbox does it: index() in batches of 500, visible on return (refresh=wait_for);
    # baseline: the same documents, already analysed, sent raw with _bulk.
    m = min(BULK_SAMPLE, n) if not ctx.quick else 1000
    fresh = [d.__class__(**{**d.__dict__, "doc_id": f"new-{d.doc_id}"}) for d in generate_corpus(vocabulary, m, seed=n + 1)]
    raw_docs = [d.__class__(**{**d.__dict__, "doc_id": f"raw-{d.doc_id}"}) for d in fresh]
    raw_batches = []
    for start in range(0, m, 500):
        operations: list[dict[str, Any]] = []
        for d in raw_docs[start:start + 500]:
            operations += [{"index": {"_index": engine.alias, "_id": doc_key(d.doc_type, d.doc_id)}}, to_source(d)]
        raw_batches.append(operations)
    ours = []
    for start in range(0, m, 500):
        began = time.perf_counter()
        engine.index(fresh[start:start + 500])
        ours.append((time.perf_counter() - began) * 1000)
    raw = []
    for operations in raw_batches:
        began = time.perf_counter()
        engine.client.bulk(operations, refresh="wait_for", timeout=60)
        raw.append((time.perf_counter() - began) * 1000)
    per_doc = (sum(ours) / 1000) / m
    results.append({"name": f"{label}.bulk_500", "samples_ms": ours, "baseline": "raw _bulk, pre-analysed",
                    "baseline_samples_ms": raw,
                    "extra": {"entries_per_second": round(1 / per_doc, 1),
                              "raw_entries_per_second": round(m / (sum(raw) / 1000), 1)}})
    engine.delete("kb", [d.doc_id for d in fresh] + [d.doc_id for d in raw_docs])

    # Search: ours against the same request sent raw (the last one our search sends for the question, recorded
    # once the per-word typo cache is warm, as it is in a running server).
    sent: dict[str, dict[str, Any]] = {}
    send = engine.client.search
    current = [""]

    def record(index: str, body: dict[str, Any], *, timeout: float | None = None) -> dict[str, Any]:
        sent[current[0]] = copy.deepcopy(body)
        return send(index, body, timeout=timeout)

    engine.client.search = record
    for _ in range(2):
        for q in queries:
            current[0] = q
            engine.search(SearchQuery(text=q, limit=10))
    engine.client.search = send
    searches = _cycle(queries)
    raw_bodies = _cycle([sent[q] for q in queries if q in sent])
    repeat = ctx.repeat(len(queries) * 3)
    mine = ctx.timed(lambda: engine.search(SearchQuery(text=next(searches), limit=10)), repeat=repeat, warmup=10)
    base = ctx.timed(lambda: engine.client.search(engine.alias, next(raw_bodies), timeout=10), repeat=repeat, warmup=10)
    fallbacks = sum(engine.search(SearchQuery(text=q, limit=10)).fallback for q in queries[:20])
    target = "p95 <= 50 ms at 100k, <= 100 ms at 1M; <= 2x the raw engine query"
    results.append({"name": f"{label}.search", "samples_ms": mine, "baseline": "raw engine query",
                    "baseline_samples_ms": base, "target": target,
                    "queries": ctx.count_queries(lambda: engine.search(SearchQuery(text=queries[0]))),
                    "extra": {"fallbacks_in_20": fallbacks}})

    # Suggest: ours against its raw more-like-this request.
    texts = _cycle(tickets)
    suggest_bodies = _cycle([engine.suggest_request(engine.suggest_plan(t)) for t in tickets])
    repeat = ctx.repeat(len(tickets) * 3)
    mine = ctx.timed(lambda: engine.suggest(next(texts)), repeat=repeat, warmup=5)
    base = ctx.timed(lambda: engine.client.search(engine.alias, next(suggest_bodies), timeout=10), repeat=repeat, warmup=5)
    results.append({"name": f"{label}.suggest", "samples_ms": mine, "baseline": "raw engine query",
                    "baseline_samples_ms": base})

    if database is not None:
        db_label = f"search_engine.postgresql.{n // 1000}k"
        started = time.perf_counter()
        count = database.reindex(generate_corpus(vocabulary, n))
        seconds = time.perf_counter() - started
        ctx.log(f"   {db_label}: reindexed {count} entries in {seconds:.1f} s ({count / seconds:.0f}/s)")
        results.append({"name": f"{db_label}.reindex", "samples_ms": [seconds * 1000],
                        "extra": {"entries": count, "entries_per_second": round(count / seconds, 1)}})
        searches = _cycle(queries)
        repeat = ctx.repeat(len(queries) * 3)
        db_search = ctx.timed(lambda: database.search(SearchQuery(text=next(searches), limit=10)), repeat=repeat,
                              warmup=10)
        results.append({"name": f"{db_label}.search", "samples_ms": db_search})
        texts = _cycle(tickets)
        repeat = ctx.repeat(len(tickets) * 3)
        db_suggest = ctx.timed(lambda: database.suggest(next(texts)), repeat=repeat, warmup=5)
        results.append({"name": f"{db_label}.suggest", "samples_ms": db_suggest})
        database.reindex([])
    return results
