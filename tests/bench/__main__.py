"""Run the benchmarks: one child process per database, results merged into bench/results/<stamp>.json.

    python -m tests.bench [--db sqlite|postgres|all] [--only SUBSTRING] [--quick] [--scale 10000,100000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def machine_info() -> dict[str, object]:
    info: dict[str, object] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    try:
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        mem_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
        info["memory_gb"] = round(mem_kb / 1024 / 1024, 1)
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
        info["cpu_model"] = cpu
    except (OSError, StopIteration):
        pass
    return info


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--only", default="", help="run workloads whose function name contains this")
    parser.add_argument("--quick", action="store_true", help="small sizes and few repetitions (smoke run)")
    parser.add_argument("--scale", default="", help="comma-separated corpus sizes for scaled workloads")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()

    databases = ["sqlite", "postgres"] if args.db == "all" else [args.db]
    if "postgres" in databases and not os.environ.get("HELPDESK_TEST_POSTGRES_URL"):
        print("PostgreSQL skipped: HELPDESK_TEST_POSTGRES_URL is not set (make services; source .services/env)")
        databases.remove("postgres")
    report: dict[str, object] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "args": vars(args),
        "databases": {},
    }
    status = 0
    for db in databases:
        print(f"== {db}", flush=True)
        child = subprocess.run(
            [sys.executable, "-m", "tests.bench.child", "--db", db, "--only", args.only, "--scale", args.scale]
            + (["--quick"] if args.quick else []),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        if child.returncode != 0:
            print(f"{db}: benchmark child failed with exit code {child.returncode}", file=sys.stderr)
            status = 1
            continue
        payload = json.loads(child.stdout.strip().splitlines()[-1])
        report["databases"][db] = payload  # type: ignore[index]
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"bench-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nresults: {path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
