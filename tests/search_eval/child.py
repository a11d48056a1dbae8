"""One evaluation run on one database (a fresh test database): prints its results as JSON on the last line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.test")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", required=True, choices=["sqlite", "postgres", "opensearch", "elasticsearch"])
    parser.add_argument("--queries", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--judged", default="", help="a kb_export_judged file, evaluated and reported separately")
    parser.add_argument("--holdout", default="", help="held-out questions, evaluated and reported separately")
    args = parser.parse_args()
    if args.backend == "postgres":
        os.environ["HELPDESK_TEST_DATABASE"] = "postgres"
    elif args.backend in ("opensearch", "elasticsearch") and not os.environ.get("HELPDESK_TEST_SEARCH_URL"):
        print("HELPDESK_TEST_SEARCH_URL is not set (source .services/env)", file=sys.stderr)
        return 2
    else:
        os.environ.pop("HELPDESK_TEST_DATABASE", None)
    os.environ["HELPDESK_TEST_RUN_ID"] = f"eval{os.getpid()}"

    import django

    django.setup()
    from django.db import connection

    from search.backends.database import DatabaseBackend
    from tests.search_eval.core import (
        HELD_OUT,
        baseline_plain_bm25,
        baseline_postgres,
        evaluate_backend,
        evaluate_indexed,
        load_corpus,
        load_judged,
        load_queries,
        summary_line,
    )

    queries = load_queries(Path(args.queries))
    holdout = load_queries(Path(args.holdout)) if args.holdout else []
    entries = load_corpus(Path(args.corpus))
    judged, judged_skipped = (load_judged(Path(args.judged), {e.external_id for e in entries}) if args.judged
                              else ([], 0))
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    results: dict[str, Any] = {}
    try:
        if args.backend in ("opensearch", "elasticsearch"):
            results.update(evaluate_engine(args.backend, entries, queries, judged, holdout))
        elif args.backend == "sqlite":
            results[f"database ({connection.vendor})"] = evaluate_backend(DatabaseBackend(), entries, queries)
            if holdout:
                results[f"{HELD_OUT}database ({connection.vendor})"] = evaluate_indexed(DatabaseBackend(), holdout)
            if judged:
                results[f"judged from the log: database ({connection.vendor})"] = evaluate_indexed(
                    DatabaseBackend(), judged)
            results["baseline: plain single-word BM25 (FTS5)"] = baseline_plain_bm25(entries, queries)
            if holdout:
                results[f"{HELD_OUT}baseline: plain single-word BM25 (FTS5)"] = baseline_plain_bm25(entries, holdout)
        else:
            results[f"database ({connection.vendor})"] = evaluate_backend(DatabaseBackend(), entries, queries)
            if holdout:
                results[f"{HELD_OUT}database ({connection.vendor})"] = evaluate_indexed(DatabaseBackend(), holdout)
            if judged:
                results[f"judged from the log: database ({connection.vendor})"] = evaluate_indexed(
                    DatabaseBackend(), judged)
            with connection.cursor() as cursor:
                results["baseline: PostgreSQL simple config + AND"] = baseline_postgres(
                    cursor, entries, queries, "simple", "and"
                )
                results["baseline: PostgreSQL indonesian config + AND"] = baseline_postgres(
                    cursor, entries, queries, "indonesian", "and"
                )
                results["baseline: PostgreSQL indonesian config + OR"] = baseline_postgres(
                    cursor, entries, queries, "indonesian", "or"
                )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    for name, result in results.items():
        print(summary_line(name, result), file=sys.stderr)
    print(json.dumps({"backend": args.backend, "results": results, "holdout": len(holdout), "judged": len(judged),
                      "judged_skipped": judged_skipped}, ensure_ascii=False))
    return 0


def evaluate_engine(kind: str, entries: Any, queries: Any, judged: Any = (), holdout: Any = ()) -> dict[str, Any]:
    """Our engine backend on the test OpenSearch node (the Elasticsearch client through the test-only
    compatibility proxy), plus what the engine's own analysis achieves, under a throwaway index prefix."""
    from helpdesk.settings.env import search_config
    from search.backends.engine import EngineBackend
    from search.synonym_defaults import DEFAULT_RULES
    from tests.search.engine_proxy import EngineProxy
    from tests.search_eval.core import HELD_OUT, baseline_engine_native, evaluate_backend, evaluate_indexed

    upstream = search_config(os.environ["HELPDESK_TEST_SEARCH_URL"]).url
    proxy = EngineProxy(upstream, elasticsearch=True).start() if kind == "elasticsearch" else None
    prefix = f"eval-{os.getpid()}"
    backend = EngineBackend(engine=kind, url=proxy.url if proxy else upstream, prefix=prefix,
                            drop_grace_seconds=0, refresh=True)
    results: dict[str, Any] = {}
    try:
        server = backend.ping()
        name = f"engine ({kind} client, {server.get('distribution', kind)} {server.get('version', '')})"
        results[name] = evaluate_backend(backend, entries, queries)
        if holdout:
            results[f"{HELD_OUT}{name}"] = evaluate_indexed(backend, holdout)
        if judged:
            results[f"judged from the log: {name}"] = evaluate_indexed(backend, judged)
        if kind == "opensearch":
            client = backend.client
            results["baseline: engine's own analysis (indonesian stemmer), OR"] = baseline_engine_native(
                client, f"{prefix}-native", entries, queries)
            results["baseline: engine's own analysis + project synonyms (synonym_graph)"] = baseline_engine_native(
                client, f"{prefix}-native", entries, queries, synonym_rules=DEFAULT_RULES)
            results["baseline: engine's own analysis + synonyms + fuzziness AUTO"] = baseline_engine_native(
                client, f"{prefix}-native", entries, queries, synonym_rules=DEFAULT_RULES, fuzzy=True)
    finally:
        backend.drop_all()
        if proxy is not None:
            proxy.stop()
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main())
