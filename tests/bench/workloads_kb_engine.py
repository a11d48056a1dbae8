"""The knowledge-base search API on the engine, against a plain engine query for the same words on the same index,
with the database path beside it, in one run (issue 19: the API's p50 and p95 within 1.5x of the plain query).

    HELPDESK_BENCH_KB_ENGINE_SCALE=1000,10000,100000,1000000 python -m tests.bench --db postgres --only kb_engine

Per size (default 1k and 10k; 100k and 1M are opt-in through the variable above): published entries are written
straight into the database with bulk inserts (text generated at run time in Bahasa Indonesia from the words of the
real notes in ../shared/data, as the engine benchmark does), then indexed into the database backend (`index()`,
as the outbox does) and into a throwaway engine index of this process (`bench-kbapi-<pid>`, bulk with refresh
off, one refresh). A million entries take minutes, most of it the analysis in Python.

Then, for every question of the evaluation set, one after the other so that the machine's load falls on all of
them alike:
- raw: a plain `multi_match` for the question's words on title and body, top 10 with the same stored fields,
  sent with the engine's own Python client (opensearch-py) in this process: no analysis, no rescoring, nothing
  of ours (the baseline of every ratio);
- Django, plain: the same query from a plain Django view (`/__bench__/kb_plain/`, through the same middleware
  as the API), its hits as JSON: Django's own share, which any API built on it pays;
- ours, raw: the request our backend builds for the question, sent with the same client (the engine's share),
  as the backend sends it once warm: the words known to its typo cache, so without the term suggester (before,
  the bench recorded the first request, suggester included, which overstated the engine's share);
- backend: `EngineBackend.search` (analysis, the request, reading and highlighting the answer);
- API on the engine: `GET /api/v1/kb/search/` through Django's test client (rate limit, parameters, the
  published check, the search log, JSON);
- API on the database: the same request with the database backend answering.
Skipped, with a log line, when HELPDESK_TEST_SEARCH_URL is unset. `--quick`: 1,000 entries.
"""

from __future__ import annotations

import html
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.bench.workloads_kb import CATEGORIES
from tests.bench.workloads_search import NoteVocabulary
from tests.bench.workloads_search_engine import FastNoteVocabulary
from tests.search_eval.core import QUERIES, default_corpus, load_queries

DEFAULT_SCALE = "1000,10000"
TARGET = "API p50 and p95 <= 1.5x the plain engine query"
CHUNK = 5000
# Above this many entries the run leaves them in its test database (dropped when the run ends): deleting a
# million entries one by one, with their index rows, takes longer than writing them.
CLEANUP_UP_TO = 100_000
ROUNDS = 3


def _sizes(ctx: Any) -> list[int]:
    if ctx.quick:
        return [1000]
    raw = os.environ.get("HELPDESK_BENCH_KB_ENGINE_SCALE", DEFAULT_SCALE)
    return [int(s) for s in raw.split(",") if s.strip()]


def _label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def bench_kb_engine(ctx: Any) -> list[dict[str, Any]]:
    from django.conf import settings
    from django.test import override_settings

    from helpdesk.categories.services import ensure_default_categories
    from helpdesk.kb.models import Entry, SearchLog
    from helpdesk.settings.env import search_config
    from search import get_backend
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
    vocabulary = FastNoteVocabulary(NoteVocabulary.load(corpus_path).notes)
    questions = [q.text for q in load_queries(QUERIES)]
    database = get_backend()
    engine = EngineBackend(engine=config.engine, url=config.url, prefix=f"bench-kbapi-{os.getpid()}",
                           drop_grace_seconds=0, write_timeout=120.0)
    raw_client = _raw_client(config.engine, config.url, engine)
    # One client makes every request: the anonymous limit is raised so that the bench measures the limit's cost
    # (its counter is still written) and never its refusal.
    limits = {**settings.RATE_LIMITS, "kb_search_anon": (10**9, 60)}
    results: list[dict[str, Any]] = []
    have = 0
    rng = random.Random(19)
    try:
        with override_settings(RATE_LIMITS=limits, ROOT_URLCONF=__name__):
            for n in _sizes(ctx):
                started = time.perf_counter()
                _grow(ctx, vocabulary, rng, have, n, database, engine)
                have = n
                ctx.log(f"   kb_engine.{_label(n)}: {n} entries in the database and the engine "
                        f"({time.perf_counter() - started:.1f} s)")
                measured = _one_size(ctx, n, questions, engine, database, raw_client, set_backend)
                _log_size(ctx, measured)
                results += measured
                SearchLog.objects.all().delete()
    finally:
        set_backend(database)
        engine.drop_all()
        if have <= CLEANUP_UP_TO:
            Entry.objects.all().delete()
            database.reindex(iter([]), doc_types=("kb",))
    return results


def _log_size(ctx: Any, measured: list[dict[str, Any]]) -> None:
    """The figures of one size as soon as they are known (a million entries take a while)."""
    from tests.bench.child import percentile

    raw = measured[0]["samples_ms"]
    raw_p50, raw_p95 = statistics.median(raw), percentile(raw, 95)
    for result in measured:
        p50, p95 = statistics.median(result["samples_ms"]), percentile(result["samples_ms"], 95)
        ctx.log(f"   = {result['name']}: p50 {p50:.2f} ms (x{p50 / raw_p50:.2f}), p95 {p95:.2f} ms "
                f"(x{p95 / raw_p95:.2f}) {time.strftime('%H:%M:%S')}")


def _raw_client(kind: str, url: str, engine: Any) -> Any:
    """The engine's own Python client, apart from ours (opensearch-py for OpenSearch)."""
    if kind == "opensearch":
        from opensearchpy import OpenSearch

        return OpenSearch(hosts=[url], timeout=10, max_retries=0)
    return engine.client.raw


def _grow(ctx: Any, vocabulary: FastNoteVocabulary, rng: random.Random, have: int, n: int, database: Any,
          engine: Any) -> None:
    """Entries have..n-1: bulk-inserted, indexed in the database backend and bulk-loaded into the engine (in a
    second thread, so that the engine's bulk request overlaps the database's writes)."""
    from concurrent.futures import Future, ThreadPoolExecutor

    from django.utils import timezone

    from helpdesk.categories.models import Category
    from helpdesk.kb.models import Entry, EntrySource, EntryStatus, make_slug
    from search.backends.engine_mapping import doc_key, to_source

    categories = {c.slug: c for c in Category.objects.filter(slug__in=CATEGORIES)}
    if have == 0:
        engine.reindex(iter([]))  # an empty index of the current mapping behind the alias
    target = engine.alias
    now = timezone.now()

    def to_engine(docs: list[Any]) -> None:
        operations: list[dict[str, Any]] = []
        for doc in docs:
            operations.append({"index": {"_index": target, "_id": doc_key(doc.doc_type, doc.doc_id)}})
            operations.append(to_source(doc))
        engine.client.bulk(operations, refresh=False, timeout=300)

    done = have
    pending: Future[None] | None = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        while done < n:
            batch = []
            for i in range(done, min(n, done + CHUNK)):
                title = vocabulary.sentence(rng)[:200]
                question = " ".join(vocabulary.sentence(rng) for _ in range(rng.randint(1, 2)))
                answer = " ".join(vocabulary.sentence(rng) for _ in range(rng.randint(2, 4)))
                batch.append(Entry(
                    title=title, slug=make_slug(title), question=question, answer=answer,
                    question_html=f"<p>{html.escape(question)}</p>", answer_html=f"<p>{html.escape(answer)}</p>",
                    category=categories.get(rng.choice(CATEGORIES)),
                    tags=[rng.choice(vocabulary.words) for _ in range(rng.randint(0, 3))],
                    source=EntrySource.IMPORT, external_id=f"bench-{i}", status=EntryStatus.PUBLISHED,
                    published_at=now, created_at=now, updated_at=now,
                ))
            docs = [_document(e) for e in Entry.objects.bulk_create(batch)]
            if pending is not None:
                pending.result()
            pending = pool.submit(to_engine, docs)
            database.index(docs)
            done += len(batch)
            if done % 50_000 == 0:
                ctx.log(f"   ... {done} entries ({time.strftime('%H:%M:%S')})")
        if pending is not None:
            pending.result()
    engine.client.refresh(target, timeout=300)
    engine.words.clear()
    engine.forget_state()


def _document(entry: Any) -> Any:
    """What `helpdesk.kb.indexing.document` makes of a generated entry, without parsing back the HTML that the
    generator wrote around its own plain text (the slow part at a million entries). Every thousandth entry is
    checked against the real thing."""
    from dataclasses import replace

    from helpdesk.kb.indexing import DOC_TYPE, document
    from search.types import Document

    body = "\n\n".join(p for p in (" ".join(entry.question.split()), " ".join(entry.answer.split()),
                                    " ".join(entry.tags)) if p)
    doc = Document(doc_type=DOC_TYPE, doc_id=str(entry.pk), title=entry.title, body=body,
                   external_id=entry.external_id or "", url=entry.get_absolute_url(),
                   category=entry.category.slug if entry.category else "", is_public=True, accepted=True,
                   helpful_votes=0, updated_at=entry.updated_at)
    if entry.pk % 1000 == 1:
        real = document(entry)
        assert replace(doc, updated_at=real.updated_at) == real, (doc, real)
    return doc


def plain_query(text: str) -> dict[str, Any]:
    """A plain engine query for the words: multi_match on title and body, top 10 with the fields we show."""
    from search.backends.engine_query import SOURCE_FIELDS

    return {"query": {"multi_match": {"query": text, "fields": ["title^2", "body"]}}, "size": 10,
            "_source": SOURCE_FIELDS}


# The plain engine query behind a plain Django view: Django's own share (the middleware, a JSON response), with
# nothing of ours. `_PLAIN` holds the engine's own client and the alias while a size is measured.
_PLAIN: dict[str, Any] = {}


def plain_view(request: Any) -> Any:
    from django.http import JsonResponse

    found = _PLAIN["client"].search(index=_PLAIN["alias"], body=plain_query(request.GET.get("q", "")))
    return JsonResponse({"results": [{"id": h["_id"], "title": h["_source"].get("title", ""), "score": h["_score"]}
                                     for h in found["hits"]["hits"]]})


def _urls() -> list[Any]:
    from django.urls import include, path

    return [path("__bench__/kb_plain/", plain_view), path("", include("helpdesk.urls"))]


urlpatterns = _urls()


def _interleaved(questions: list[str], runs: dict[str, Callable[[str], Any]], rounds: int) -> dict[str, list[float]]:
    """Each question through every run in turn, `rounds` times: a burst of load hits them all alike. The order
    turns with every question, so that no run always follows the same one (the first request after the API's
    burst of Python work waits longer for the CPU on a loaded machine)."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    turn = 0
    for _ in range(rounds):
        for q in questions:
            turn += 1
            for name in names[turn % len(names):] + names[:turn % len(names)]:
                started = time.perf_counter()
                after = runs[name](q)
                samples[name].append((time.perf_counter() - started) * 1000)
                if isinstance(after, Served):  # what the worker still does once the answer is sent
                    began = time.perf_counter()
                    after.response.close()
                    samples.setdefault(f"{name}+close", []).append(
                        samples[name][-1] + (time.perf_counter() - began) * 1000)
    return samples


@dataclass
class Served:
    """A response as a WSGI server holds it: its bytes are ready to send, `close()` has not run yet."""

    response: Any


def _one_size(ctx: Any, n: int, questions: list[str], engine: Any, database: Any, raw_client: Any,
              set_backend: Any) -> list[dict[str, Any]]:
    from django.core.handlers.base import BaseHandler
    from django.core.signals import request_finished
    from django.db import close_old_connections
    from django.test import RequestFactory
    from rest_framework.test import APIClient

    from search.types import SearchQuery

    api = APIClient()
    # The API as a WSGI server runs it: the middleware and the view give the response, whose bytes the server
    # sends; then it calls close() (where the search log is written). The test client would time both as one.
    handler = BaseHandler()
    handler.load_middleware()
    factory = RequestFactory()
    label = f"kb_engine.{engine.engine}.{_label(n)}"
    db_label = f"kb_engine.{database.name}.{_label(n)}"
    ours_sent: dict[str, dict[str, Any]] = {}
    send = engine.client.search

    def record(q: str) -> Callable[..., dict[str, Any]]:
        def search(index: str, body: dict[str, Any], *, timeout: float | None = None) -> dict[str, Any]:
            ours_sent[q] = body
            return send(index, body, timeout=timeout)
        return search

    def api_on(backend: Any) -> Callable[[str], Served]:
        def run(q: str) -> Served:
            set_backend(backend)
            response = handler.get_response(factory.get("/api/v1/kb/search/", {"q": q}))
            body = b"".join(response)  # what the server sends
            assert response.status_code == 200 and body, body[:300]
            return Served(response)
        return run

    # Warm up both paths as a running server is (typo cache, vocabulary, connections), and record the request
    # our backend sends for each question once warm: the second pass, whose words the first pass taught the
    # typo cache (the first request for a word not seen for a minute also carries the term suggester).
    request_finished.disconnect(close_old_connections)
    for _ in range(2):
        for q in questions:
            engine.client.search = record(q)
            api_on(engine)(q).response.close()
            engine.client.search = send
            api_on(database)(q).response.close()
    request_finished.connect(close_old_connections)
    _PLAIN.update(client=raw_client, alias=engine.alias)

    def django_plain(q: str) -> Any:
        response = handler.get_response(factory.get("/__bench__/kb_plain/", {"q": q}))
        body = b"".join(response)
        assert response.status_code == 200 and body, body[:300]
        return response

    runs: dict[str, Callable[[str], Any]] = {
        "raw": lambda q: raw_client.search(index=engine.alias, body=plain_query(q)),
        "django_plain": django_plain,
        "ours_raw": lambda q: raw_client.search(index=engine.alias, body=ours_sent[q]),
        "backend": lambda q: engine.search(SearchQuery(text=q, limit=10, doc_types=("kb",))),
        "api_engine": api_on(engine),
        "api_database": api_on(database),
    }
    rounds = 1 if ctx.quick else ROUNDS
    # As the test client does, and as a deployment with DATABASE_CONN_MAX_AGE > 0 does: close() keeps the database
    # connection (with the default 0 every request opens a new one, which costs more than the search log).
    request_finished.disconnect(close_old_connections)
    try:
        samples = _interleaved(questions, runs, rounds)
    finally:
        request_finished.connect(close_old_connections)
    set_backend(engine)
    fallbacks = sum(bool(api.get("/api/v1/kb/search/", {"q": q}).json()["fallback"]) for q in questions)
    queries = ctx.count_queries(lambda: api.get("/api/v1/kb/search/", {"q": questions[0]}))
    set_backend(database)
    raw = samples["raw"]
    return [
        {"name": f"{label}.raw_multi_match", "samples_ms": raw, "extra": {"entries": n}},
        {"name": f"{label}.django_plain_view", "samples_ms": samples["django_plain"], "baseline": "plain engine query",
         "baseline_samples_ms": raw},
        {"name": f"{label}.api_search", "samples_ms": samples["api_engine"], "baseline": "plain engine query",
         "baseline_samples_ms": raw, "target": TARGET, "queries": queries,
         "extra": {"entries": n, "fallbacks": fallbacks, "questions": len(questions)}},
        {"name": f"{label}.api_search_and_close", "samples_ms": samples["api_engine+close"],
         "baseline": "plain engine query", "baseline_samples_ms": raw},
        {"name": f"{label}.backend_search", "samples_ms": samples["backend"], "baseline": "plain engine query",
         "baseline_samples_ms": raw},
        {"name": f"{label}.our_request_raw", "samples_ms": samples["ours_raw"], "baseline": "plain engine query",
         "baseline_samples_ms": raw},
        {"name": f"{db_label}.api_search", "samples_ms": samples["api_database"], "baseline": "plain engine query",
         "baseline_samples_ms": raw},
        {"name": f"{db_label}.api_search_and_close", "samples_ms": samples["api_database+close"],
         "baseline": "plain engine query", "baseline_samples_ms": raw},
    ]
