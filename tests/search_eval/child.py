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
    parser.add_argument("--backend", required=True, choices=["sqlite", "postgres"])
    parser.add_argument("--queries", required=True)
    parser.add_argument("--corpus", required=True)
    args = parser.parse_args()
    if args.backend == "postgres":
        os.environ["HELPDESK_TEST_DATABASE"] = "postgres"
    else:
        os.environ.pop("HELPDESK_TEST_DATABASE", None)
    os.environ["HELPDESK_TEST_RUN_ID"] = f"eval{os.getpid()}"

    import django

    django.setup()
    from django.db import connection

    from search.backends.database import DatabaseBackend
    from tests.search_eval.core import (
        baseline_plain_bm25,
        baseline_postgres,
        evaluate_backend,
        load_corpus,
        load_queries,
        summary_line,
    )

    queries = load_queries(Path(args.queries))
    entries = load_corpus(Path(args.corpus))
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    results: dict[str, Any] = {}
    try:
        results[f"database ({connection.vendor})"] = evaluate_backend(DatabaseBackend(), entries, queries)
        if args.backend == "sqlite":
            results["baseline: plain single-word BM25 (FTS5)"] = baseline_plain_bm25(entries, queries)
        else:
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
    print(json.dumps({"backend": args.backend, "results": results}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main())
