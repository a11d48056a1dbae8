"""Search evaluation: corpora, query files, metrics and the baselines, shared by the CLI and the pytest."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
QUERIES = Path(__file__).resolve().parent / "queries.tsv"
# Questions written after the ranking was tuned on QUERIES, never tuned on: reported apart from the tuned set.
HOLDOUT = Path(__file__).resolve().parent / "queries_holdout.tsv"
HELD_OUT = "held-out: "  # the prefix of their results' names
# Queries coordinators judged on /kb/pencarian/, exported by `manage.py kb_export_judged`; read when present.
JUDGED = ROOT / "var" / "search-eval" / "judged.jsonl"
DEFAULT_TSV = ROOT.parent / "shared" / "data" / "opensid-release-notes.tsv"
TARGET_RECALL_AT_5 = 0.95
TARGET_MRR_AT_10 = 0.90


def default_corpus() -> Path:
    return Path(os.environ.get("HELPDESK_SEARCH_EVAL_CORPUS") or DEFAULT_TSV)


@dataclass(frozen=True)
class EvalQuery:
    text: str
    relevant: frozenset[str]


@dataclass(frozen=True)
class CorpusEntry:
    external_id: str
    title: str
    body: str
    category: str = ""
    region_code: str = ""


def load_queries(path: Path = QUERIES) -> list[EvalQuery]:
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        text, sep, ids = line.partition("\t")
        if not sep or not ids.split():
            raise ValueError(f"{path}:{number}: expected 'question<TAB>id id ...'")
        queries.append(EvalQuery(text.strip(), frozenset(ids.split())))
    return queries


def load_judged(path: Path, corpus_ids: set[str]) -> tuple[list[EvalQuery], int]:
    """The judged queries of a `kb_export_judged` file whose right answers are in this corpus (their ids are the
    entries' external ids, e.g. issue numbers of imported release notes), and how many were left out because
    none of their answers is in it."""
    queries: list[EvalQuery] = []
    skipped = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text, relevant = str(row["query"]).strip(), {str(i) for i in row["relevant"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: expected {{\"query\": ..., \"relevant\": [...]}} ({exc})") from None
        found = relevant & corpus_ids
        if text and found:
            queries.append(EvalQuery(text, frozenset(found)))
        else:
            skipped += 1
    return queries, skipped


def load_corpus(path: Path) -> list[CorpusEntry]:
    """The release-notes TSV (ISSUE<TAB>note: title = answer = note) or a kb_import JSONL file."""
    entries = []
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: {exc}") from None
            body = "\n".join(
                part for part in (obj.get("question", ""), obj.get("answer", ""), " ".join(obj.get("tags", []))) if part
            )
            entries.append(
                CorpusEntry(
                    str(obj["external_id"]),
                    obj["title"],
                    body,
                    obj.get("category", "") or "",
                    obj.get("region_code", "") or "",
                )
            )
        return entries
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        issue, sep, note = line.partition("\t")
        if not sep:
            raise ValueError(f"{path}:{number}: expected 'ISSUE<TAB>note'")
        entries.append(CorpusEntry(issue.strip(), note.strip(), note.strip()))
    return entries


def to_documents(entries: Sequence[CorpusEntry]) -> list[Any]:
    from search.types import Document

    return [
        Document(
            doc_type="kb",
            doc_id=e.external_id,
            external_id=e.external_id,
            title=e.title,
            body=e.body,
            category=e.category,
            region_code=e.region_code,
        )
        for e in entries
    ]


def percentile(samples: Sequence[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def evaluate(search: Callable[[str], list[str]], queries: Sequence[EvalQuery]) -> dict[str, Any]:
    """Recall@5: share of questions with a relevant note in the top 5 (the issue's "puts the right note in
    the top 5"); recall@5 (all): mean share of each question's relevant notes in its top 5, capped at 5;
    MRR@10: mean reciprocal rank of the first relevant note within 10."""
    hits5 = 0
    strict = 0.0
    rr = 0.0
    latencies = []
    per_query = []
    for q in queries:
        started = time.perf_counter()
        ranked = search(q.text)[:10]
        latencies.append((time.perf_counter() - started) * 1000)
        first = next((i for i, ext in enumerate(ranked) if ext in q.relevant), None)
        if first is not None and first < 5:
            hits5 += 1
        strict += len(set(ranked[:5]) & q.relevant) / min(len(q.relevant), 5)
        if first is not None:
            rr += 1.0 / (first + 1)
        per_query.append({"q": q.text, "rank": None if first is None else first + 1, "top": ranked[:5]})
    n = max(len(queries), 1)
    return {
        "queries": len(queries),
        "recall_at_5": round(hits5 / n, 4),
        "recall_at_5_all": round(strict / n, 4),
        "mrr_at_10": round(rr / n, 4),
        "latency_p50_ms": round(statistics.median(latencies), 2) if latencies else 0.0,
        "latency_p95_ms": round(percentile(latencies, 95), 2),
        "per_query": per_query,
    }


def evaluate_indexed(backend: Any, queries: Sequence[EvalQuery]) -> dict[str, Any]:
    """The metrics of `queries` on a backend that already holds the corpus (the judged queries, after the tuned
    set indexed it)."""
    from search.types import SearchQuery

    def run(text: str) -> list[str]:
        return [hit.external_id for hit in backend.search(SearchQuery(text=text, limit=10)).hits]

    return evaluate(run, queries)


def evaluate_backend(backend: Any, entries: Sequence[CorpusEntry], queries: Sequence[EvalQuery]) -> dict[str, Any]:
    from search.types import SearchQuery

    started = time.perf_counter()
    backend.reindex(to_documents(entries))
    index_seconds = time.perf_counter() - started

    def run(text: str) -> list[str]:
        return [hit.external_id for hit in backend.search(SearchQuery(text=text, limit=10)).hits]

    for q in queries[:5]:  # warm caches (stemmer, vocabulary) as a running server would have them
        run(q.text)
    result = evaluate(run, queries)
    result["index_seconds"] = round(index_seconds, 2)
    result["documents"] = len(entries)
    return result


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def baseline_plain_bm25(entries: Sequence[CorpusEntry], queries: Sequence[EvalQuery]) -> dict[str, Any]:
    """FTS5 over the raw text (unicode61, no stemming, no synonyms), query words ORed, ranked by bm25()."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(ext UNINDEXED, body)")
    db.executemany("INSERT INTO t (ext, body) VALUES (?, ?)", [(e.external_id, e.title) for e in entries])

    def run(text: str) -> list[str]:
        words = _WORD.findall(text.lower())
        if not words:
            return []
        expression = " OR ".join(f'"{w}"' for w in words)
        return [r[0] for r in db.execute("SELECT ext FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT 10", (expression,))]

    try:
        return evaluate(run, queries)
    finally:
        db.close()


def baseline_postgres(cursor: Any, entries: Sequence[CorpusEntry], queries: Sequence[EvalQuery], config: str, mode: str) -> dict[str, Any]:
    """PostgreSQL's own analysis: `to_tsvector(config, note)` with AND (plainto_tsquery, what Discourse does)
    or OR (websearch_to_tsquery with `or`), ranked by ts_rank_cd."""
    cursor.execute("CREATE TEMPORARY TABLE eval_notes (ext text, body text)")
    try:
        cursor.executemany("INSERT INTO eval_notes VALUES (%s, %s)", [(e.external_id, e.title) for e in entries])

        def run(text: str) -> list[str]:
            if mode == "and":
                query = "plainto_tsquery(%s, %s)"
                arg = text
            else:
                query = "websearch_to_tsquery(%s, %s)"
                arg = " or ".join(_WORD.findall(text.lower()))
            cursor.execute(
                f"SELECT ext FROM eval_notes, {query} q WHERE to_tsvector(%s, body) @@ q "
                "ORDER BY ts_rank_cd(to_tsvector(%s, body), q) DESC LIMIT 10",
                [config, arg, config, config],
            )
            return [r[0] for r in cursor.fetchall()]

        return evaluate(run, queries)
    finally:
        cursor.execute("DROP TABLE eval_notes")


def summary_line(name: str, result: dict[str, Any]) -> str:
    return (
        f"{name:<44} Recall@5 {result['recall_at_5']:.3f}  (all relevant {result['recall_at_5_all']:.3f})  "
        f"MRR@10 {result['mrr_at_10']:.3f}  p50 {result['latency_p50_ms']:.1f} ms  p95 {result['latency_p95_ms']:.1f} ms"
    )


def engine_native_index_body(synonym_rules: Sequence[str] | None, *, replicas: int = 0) -> dict[str, Any]:
    """An index analysed by the engine alone: standard tokenizer, lowercase, accents folded, the `indonesian`
    stemmer; with `synonym_rules`, a search-time synonym_graph filter holding the project's list."""
    filters: dict[str, Any] = {"id_stemmer": {"type": "stemmer", "language": "indonesian"}}
    search_chain = ["lowercase", "asciifolding"]
    if synonym_rules:
        filters["project_synonyms"] = {"type": "synonym_graph", "synonyms": list(synonym_rules), "lenient": True}
        search_chain.append("project_synonyms")
    analyzers = {
        "native": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding", "id_stemmer"]},
        "native_search": {"type": "custom", "tokenizer": "standard", "filter": [*search_chain, "id_stemmer"]},
    }
    return {
        "settings": {"number_of_shards": 1, "number_of_replicas": replicas,
                     "analysis": {"filter": filters, "analyzer": analyzers}},
        "mappings": {"properties": {
            "ext": {"type": "keyword"},
            "body": {"type": "text", "analyzer": "native", "search_analyzer": "native_search"},
        }},
    }


def baseline_engine_native(client: Any, index: str, entries: Sequence[CorpusEntry], queries: Sequence[EvalQuery],
                           *, synonym_rules: Sequence[str] | None = None, fuzzy: bool = False) -> dict[str, Any]:
    """What the engine does with its own analysis only: the `indonesian` stemmer (and optionally the project's
    synonyms as a synonym_graph filter, and `fuzziness: AUTO`), query words ORed, ranked by BM25. `client` is a
    search.backends.engine_client.EngineClient."""
    client.create_index(index, engine_native_index_body(synonym_rules))
    try:
        operations: list[dict[str, Any]] = []
        for e in entries:
            operations += [{"index": {"_index": index, "_id": e.external_id}}, {"ext": e.external_id, "body": e.title}]
        for start in range(0, len(operations), 1000):
            client.bulk(operations[start:start + 1000], refresh=False, timeout=60)
        client.refresh(index)

        def run(text: str) -> list[str]:
            match: dict[str, Any] = {"query": text[:1000], "operator": "or"}
            if fuzzy:
                match["fuzziness"] = "AUTO"
            body = {"size": 10, "_source": ["ext"], "query": {"match": {"body": match}}}
            return [h["_source"]["ext"] for h in client.search(index, body, timeout=10)["hits"]["hits"]]

        return evaluate(run, queries)
    finally:
        client.delete_index(index)
