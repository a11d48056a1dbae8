"""The knowledge base end to end, at 10k and 100k entries: `kb_import` throughput (parse, check, mask, write, index
in one transaction), then the public API (`/api/v1/kb/search/`, `/api/v1/kb/suggest/`) and pages (home, entry)
through the whole Django stack, against the plain JSON view as the baseline.

Entries are generated in Bahasa Indonesia from the real notes' words (workloads_search.NoteVocabulary); the
questions are the 79 operator questions of the search evaluation.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from tests.bench.workloads_search import NoteVocabulary, ticket_text
from tests.search_eval.core import QUERIES, default_corpus, load_queries

CATEGORIES = ["kependudukan", "surat-tte", "layanan-mandiri", "keuangan", "update-migrasi", "lainnya"]


def _jsonl(vocabulary: NoteVocabulary, start: int, n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    lines = []
    for i in range(start, start + n):
        lines.append(json.dumps({
            "external_id": f"bench-{i}",
            "title": vocabulary.sentence(rng)[:200],
            "question": " ".join(vocabulary.sentence(rng) for _ in range(rng.randint(1, 2))),
            "answer": " ".join(vocabulary.sentence(rng) for _ in range(rng.randint(2, 4))),
            "category": rng.choice(CATEGORIES),
            "tags": [rng.choice(vocabulary.words) for _ in range(rng.randint(0, 3))],
        }, ensure_ascii=False))
    return "\n".join(lines).encode()


def bench_kb(ctx: Any) -> list[dict[str, Any]]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from rest_framework.test import APIClient

    from helpdesk.categories.services import ensure_default_categories
    from helpdesk.kb import importer
    from helpdesk.kb.models import Entry
    from search import get_backend

    corpus_path = default_corpus()
    if not corpus_path.exists():
        ctx.log(f"   skipped: {corpus_path} not found (set HELPDESK_SEARCH_EVAL_CORPUS)")
        return []
    ensure_default_categories()
    vocabulary = NoteVocabulary.load(corpus_path)
    questions = [q.text for q in load_queries(QUERIES)]
    rng = random.Random(5)
    tickets = [ticket_text(vocabulary, rng) for _ in range(60)]
    api, web = APIClient(), Client()
    results: list[dict[str, Any]] = []
    have = 0
    # One client makes every request: the anonymous search limit is raised so that the bench measures the limit's
    # cost (its counter is still written), never its refusal.
    limits = override_settings(RATE_LIMITS={**settings.RATE_LIMITS, "kb_search_anon": (10**9, 60)})
    limits.enable()
    try:
        for n in ctx.scale:
            label = f"kb.{connection.vendor}.{n // 1000}k"
            data = _jsonl(vocabulary, have, n - have, seed=n)
            started = time.perf_counter()
            report = importer.run(data)
            seconds = time.perf_counter() - started
            have = n
            ctx.log(f"   {label}: kb_import of {report.created} entries in {seconds:.1f} s")
            results.append({"name": f"{label}.import", "samples_ms": [seconds * 1000],
                            "extra": {"entries": report.created, "entries_per_second": round(report.created / seconds, 1)}})
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE kb_entry")

            cycle = iter(range(10**9))
            search = ctx.timed(lambda c=cycle: api.get("/api/v1/kb/search/", {"q": questions[next(c) % len(questions)]}),
                               repeat=ctx.repeat(len(questions) * 3), warmup=5)
            results.append({"name": f"{label}.api_search", "samples_ms": search, "baseline": "plain_view",
                            "queries": ctx.count_queries(lambda: api.get("/api/v1/kb/search/", {"q": questions[0]})),
                            "target": "p95 <= 50 ms at 100k on PostgreSQL (search alone)"})
            suggest = ctx.timed(lambda c=cycle: api.get("/api/v1/kb/suggest/", {"q": tickets[next(c) % len(tickets)]}),
                                repeat=ctx.repeat(len(tickets) * 3), warmup=5)
            results.append({"name": f"{label}.api_suggest", "samples_ms": suggest, "baseline": "plain_view",
                            "target": "p95 <= 100 ms at 100k on PostgreSQL (suggest alone)"})
            home = ctx.timed(lambda: web.get("/kb/"), repeat=ctx.repeat(200), warmup=3)
            results.append({"name": f"{label}.page_home", "samples_ms": home, "baseline": "plain_view",
                            "queries": ctx.count_queries(lambda: web.get("/kb/"))})
            urls = [e.get_absolute_url() for e in Entry.objects.order_by("?").only("pk", "slug")[:50]]
            entry = ctx.timed(lambda c=cycle, u=urls: web.get(u[next(c) % len(u)]), repeat=ctx.repeat(200),
                              warmup=3)
            results.append({"name": f"{label}.page_entry", "samples_ms": entry, "baseline": "plain_view"})
    finally:
        limits.disable()
        Entry.objects.all().delete()
        get_backend().reindex(iter([]), doc_types=("kb",))
    return results
