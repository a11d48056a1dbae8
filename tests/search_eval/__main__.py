"""Search quality per backend: Recall@5, MRR@10 and latency, against the targets of issues 7 and 8.

    python -m tests.search_eval [--queries FILE] [--holdout FILE] [--corpus FILE] [--judged FILE]
            [--backend sqlite|postgres|opensearch|elasticsearch|all] [--json FILE] [--show-misses]

The corpus is the release-notes TSV in ../shared/data/ (read at run time, never copied) or a kb_import JSONL
file. Each backend runs in its own process on a fresh test database; PostgreSQL needs
HELPDESK_TEST_POSTGRES_URL, the engine HELPDESK_TEST_SEARCH_URL (`source .services/env`). `elasticsearch` runs
the official Elasticsearch client against the OpenSearch node through the test-only compatibility proxy.

The held-out questions (`queries_holdout.tsv`, written after the ranking was tuned on `queries.tsv` and never
tuned on) are asked of the same index and reported apart ("held-out: ..."), with the targets beside them; they do
not decide the exit status, so that nobody is tempted to tune on them. `--holdout ''` leaves them out.

Queries that coordinators judged on /kb/pencarian/ (`manage.py kb_export_judged`, var/search-eval/judged.jsonl by
default) are evaluated too when the file exists, and reported separately ("judged from the log: ..."): they are
not part of the tuned set and do not decide whether the targets are met.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.search_eval.core import (
    HELD_OUT,
    HOLDOUT,
    JUDGED,
    QUERIES,
    ROOT,
    TARGET_MRR_AT_10,
    TARGET_RECALL_AT_5,
    default_corpus,
    summary_line,
)


def main() -> int:
    parser = argparse.ArgumentParser(prog="make search-eval")
    parser.add_argument("--queries", default=str(QUERIES))
    parser.add_argument("--holdout", default=str(HOLDOUT),
                        help="held-out questions, reported apart from the tuned set ('' to leave them out)")
    parser.add_argument("--corpus", default=str(default_corpus()))
    parser.add_argument("--judged", default=str(JUDGED) if JUDGED.exists() else "",
                        help="judged queries from kb_export_judged (default var/search-eval/judged.jsonl if present)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "opensearch", "elasticsearch", "all"],
                        default="all", help="all: sqlite, postgres and opensearch (the ones configured)")
    parser.add_argument("--json", default="", help="where to write the full results (default var/search-eval/)")
    parser.add_argument("--show-misses", action="store_true", help="list questions whose answer is not ranked first")
    args = parser.parse_args()

    corpus = Path(args.corpus)
    if not corpus.exists():
        print(f"corpus not found: {corpus} (pass --corpus, or set HELPDESK_SEARCH_EVAL_CORPUS)", file=sys.stderr)
        return 2
    backends = ["sqlite", "postgres", "opensearch"] if args.backend == "all" else [args.backend]
    if "postgres" in backends and not os.environ.get("HELPDESK_TEST_POSTGRES_URL"):
        print("PostgreSQL skipped: HELPDESK_TEST_POSTGRES_URL is not set (source .services/env)")
        backends.remove("postgres")
    for engine in ("opensearch", "elasticsearch"):
        if engine in backends and not os.environ.get("HELPDESK_TEST_SEARCH_URL"):
            print(f"{engine} skipped: HELPDESK_TEST_SEARCH_URL is not set (source .services/env)")
            backends.remove(engine)

    report: dict[str, object] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "queries": args.queries,
        "holdout": args.holdout,
        "corpus": str(corpus),
        "judged": args.judged,
        "targets": {"recall_at_5": TARGET_RECALL_AT_5, "mrr_at_10": TARGET_MRR_AT_10},
        "backends": {},
    }
    failed = False
    for backend in backends:
        print(f"== {backend}", flush=True)
        child = subprocess.run(
            [sys.executable, "-m", "tests.search_eval.child", "--backend", backend, "--queries", args.queries,
             "--corpus", str(corpus), *(["--judged", args.judged] if args.judged else []),
             *(["--holdout", args.holdout] if args.holdout else [])],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            print(child.stderr[-4000:], file=sys.stderr)
            failed = True
            continue
        data = json.loads(child.stdout.strip().splitlines()[-1])
        report["backends"][backend] = data["results"]  # type: ignore[index]
        if args.judged:
            print(f"  judged from the log: {data.get('judged', 0)} queries with an answer in this corpus, "
                  f"{data.get('judged_skipped', 0)} left out (their answers are not in it)")
        for name, result in data["results"].items():
            print("  " + summary_line(name, result))
            if name.startswith(HELD_OUT) and not name.startswith(f"{HELD_OUT}baseline"):
                ok = result["recall_at_5"] >= TARGET_RECALL_AT_5 and result["mrr_at_10"] >= TARGET_MRR_AT_10
                print(f"  held-out ({result['queries']} questions, not tuned on): "
                      f"{'meets' if ok else 'below'} the targets; informational, not part of the exit status")
                if args.show_misses:
                    for row in result["per_query"]:
                        if row["rank"] != 1:
                            print(f"    rank {row['rank']}: {row['q']}  top={row['top']}")
            if name.startswith(("database", "engine")):
                ok = result["recall_at_5"] >= TARGET_RECALL_AT_5 and result["mrr_at_10"] >= TARGET_MRR_AT_10
                print(f"  {'meets' if ok else 'MISSES'} the targets (Recall@5 >= {TARGET_RECALL_AT_5}, "
                      f"MRR@10 >= {TARGET_MRR_AT_10}); indexed {result['documents']} notes in {result['index_seconds']} s")
                failed = failed or not ok
                if args.show_misses:
                    for row in result["per_query"]:
                        if row["rank"] != 1:
                            print(f"    rank {row['rank']}: {row['q']}  top={row['top']}")
    out = Path(args.json) if args.json else ROOT / "var" / "search-eval" / f"{report['started_at']}.json".replace(":", "")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"results: {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
