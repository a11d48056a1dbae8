"""The knowledge-base search API on the engine, against the raw engine query for the same words on the same index,
with the database path beside it, in one run (issue 19: the API within 1.5x of the raw engine query).

    HELPDESK_BENCH_KB_ENGINE_SCALE=1000,10000 python -m tests.bench --only kb_engine

Per size: real entries imported with kb_import's importer (as tests/bench/workloads_kb.py does), indexed into a
throwaway engine index through the `kb` source; then `GET /api/v1/kb/search/` through Django's test client with
the engine as the backend (everything a request pays: parameters, rate limit, analysis, the engine request,
highlighting, the published check, the search log, JSON), the raw engine request our search sent for the same
question (recorded once the typo cache is warm, as in a running server), and the same API on the database
backend. Skipped, with a log line, when HELPDESK_TEST_SEARCH_URL is unset. `--quick`: 1,000 entries.
"""

from __future__ import annotations

import copy
import itertools
import os
import time
from typing import Any

from tests.bench.workloads_kb import _jsonl
from tests.bench.workloads_search import NoteVocabulary
from tests.search_eval.core import QUERIES, default_corpus, load_queries

DEFAULT_SCALE = "1000,10000"
TARGET = "API p50 and p95 <= 1.5x the raw engine query"


def _sizes(ctx: Any) -> list[int]:
    if ctx.quick:
        return [1000]
    raw = os.environ.get("HELPDESK_BENCH_KB_ENGINE_SCALE", DEFAULT_SCALE)
    return [int(s) for s in raw.split(",") if s.strip()]


def bench_kb_engine(ctx: Any) -> list[dict[str, Any]]:
    from django.conf import settings
    from django.test import override_settings

    from helpdesk.categories.services import ensure_default_categories
    from helpdesk.kb.models import Entry, SearchLog
    from helpdesk.settings.env import search_config
    from search import get_backend, indexing
    from search.backends import set_backend
    from search.backends.engine import EngineBackend

    raw_url = os.environ.get("HELPDESK_TEST_SEARCH_URL", "")
    if not raw_url:
        ctx.log("   skipped: HELPDESK_TEST_SEARCH_URL is not set (source .services/env to benchmark the engine)")
        return []
    corpus_path = default_corpus()
    if not corpus_path.exists():
        ctx.log(f"   skipped: {corpus_path} not found (set HELPDESK_SEARCH_EVAL_CORPUS)")
        return []
    config = search_config(raw_url)
    ensure_default_categories()
    vocabulary = NoteVocabulary.load(corpus_path)
    questions = [q.text for q in load_queries(QUERIES)]
    database = get_backend()
    engine = EngineBackend(engine=config.engine, url=config.url, prefix=f"bench-kbapi-{os.getpid()}",
                           drop_grace_seconds=0)
    # One client makes every request: the anonymous limit is raised so that the bench measures the limit's cost
    # (its counter is still written) and never its refusal.
    limits = {**settings.RATE_LIMITS, "kb_search_anon": (10**9, 60)}
    results: list[dict[str, Any]] = []
    have = 0
    try:
        with override_settings(RATE_LIMITS=limits):
            for n in _sizes(ctx):
                from helpdesk.kb import importer

                importer.run(_jsonl(vocabulary, have, n - have, seed=n))
                have = n
                started = time.perf_counter()
                indexing.reindex(["kb"], backend=engine)
                ctx.log(f"   kb_engine.{n // 1000}k: {n} entries in the engine in {time.perf_counter() - started:.1f} s")
                results += _one_size(ctx, n, questions, engine, database, set_backend)
                SearchLog.objects.all().delete()
    finally:
        set_backend(database)
        engine.drop_all()
        Entry.objects.all().delete()
        database.reindex(iter([]), doc_types=("kb",))
    return results


def _one_size(ctx: Any, n: int, questions: list[str], engine: Any, database: Any, set_backend: Any) -> list[dict[str, Any]]:
    from rest_framework.test import APIClient

    from search.types import SearchQuery

    api = APIClient()
    label = f"kb_engine.{engine.engine}.{n // 1000}k"
    results: list[dict[str, Any]] = []
    set_backend(engine)
    sent: dict[str, dict[str, Any]] = {}
    send = engine.client.search
    current = [""]

    def record(index: str, body: dict[str, Any], *, timeout: float | None = None) -> dict[str, Any]:
        sent[current[0]] = copy.deepcopy(body)
        return send(index, body, timeout=timeout)

    engine.client.search = record
    for _ in range(2):
        for q in questions:
            current[0] = q
            assert api.get("/api/v1/kb/search/", {"q": q}).status_code == 200
    engine.client.search = send
    asked = itertools.cycle(questions)
    bodies = itertools.cycle([sent[q] for q in questions if q in sent])
    repeat = ctx.repeat(len(questions) * 3)
    raw = ctx.timed(lambda: send(engine.alias, next(bodies), timeout=10), repeat=repeat, warmup=10)
    mine = ctx.timed(lambda: api.get("/api/v1/kb/search/", {"q": next(asked)}), repeat=repeat, warmup=10)
    direct = ctx.timed(lambda: engine.search(SearchQuery(text=next(asked), limit=10, doc_types=("kb",))),
                       repeat=repeat, warmup=10)
    fallbacks = sum(bool(api.get("/api/v1/kb/search/", {"q": q}).json()["fallback"]) for q in questions[:20])
    results.append({"name": f"{label}.api_search", "samples_ms": mine, "baseline": "raw engine query",
                    "baseline_samples_ms": raw, "target": TARGET, "extra": {"fallbacks_in_20": fallbacks},
                    "queries": ctx.count_queries(lambda: api.get("/api/v1/kb/search/", {"q": questions[0]}))})
    results.append({"name": f"{label}.backend_search", "samples_ms": direct, "baseline": "raw engine query",
                    "baseline_samples_ms": raw})

    set_backend(database)
    db_label = f"kb_engine.{database.name}.{n // 1000}k"
    on_db = ctx.timed(lambda: api.get("/api/v1/kb/search/", {"q": next(asked)}), repeat=repeat, warmup=10)
    results.append({"name": f"{db_label}.api_search", "samples_ms": on_db, "baseline": "raw engine query",
                    "baseline_samples_ms": raw})
    return results
