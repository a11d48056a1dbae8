"""One benchmark run against one database (a fresh test database), printing its results as JSON last."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.test")


@dataclass
class Context:
    db: str
    quick: bool
    scale: list[int]
    baselines: dict[str, list[float]] = field(default_factory=dict)

    def log(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    @staticmethod
    def timed(fn: Callable[[], Any], *, repeat: int, warmup: int = 3) -> list[float]:
        for _ in range(warmup):
            fn()
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - started) * 1000)
        return samples

    @staticmethod
    def count_queries(fn: Callable[[], Any]) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            fn()
        return len(ctx.captured_queries)

    def repeat(self, full: int) -> int:
        return max(5, full // 10) if self.quick else full


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summarise(result: dict[str, Any], ctx: Context) -> dict[str, Any]:
    samples = result.pop("samples_ms")
    out: dict[str, Any] = {
        "name": result["name"],
        "n": len(samples),
        "median_ms": round(statistics.median(samples), 3),
        "p95_ms": round(percentile(samples, 95), 3),
    }
    baseline_samples = result.pop("baseline_samples_ms", None)
    baseline_name = result.pop("baseline", None)
    if baseline_samples is None and baseline_name:
        baseline_samples = ctx.baselines.get(baseline_name)
    if baseline_samples:
        base_median = statistics.median(baseline_samples)
        out["baseline"] = baseline_name or "own"
        out["baseline_median_ms"] = round(base_median, 3)
        out["ratio_median"] = round(out["median_ms"] / base_median, 2) if base_median else None
        out["ratio_p95"] = round(out["p95_ms"] / percentile(baseline_samples, 95), 2)
    for key in ("queries", "extra", "target"):
        if key in result:
            out[key] = result[key]
    return out


def discover(only: str) -> list[Callable[[Context], list[dict[str, Any]]]]:
    import tests.bench as package

    functions = []
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: (m.name != "workloads_core", m.name)):
        if not module_info.name.startswith("workloads_"):
            continue
        module = importlib.import_module(f"tests.bench.{module_info.name}")
        for name in sorted(dir(module)):
            if name.startswith("bench_") and callable(getattr(module, name)) and (not only or only in name or name == "bench_baselines"):
                functions.append(getattr(module, name))
    return functions


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--only", default="")
    parser.add_argument("--scale", default="")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.db == "postgres":
        os.environ["HELPDESK_TEST_DATABASE"] = "postgres"
    os.environ["HELPDESK_TEST_RUN_ID"] = f"bench{os.getpid()}"

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    scale = [int(s) for s in args.scale.split(",") if s.strip()] or ([2000] if args.quick else [10_000, 100_000])
    ctx = Context(db=args.db, quick=args.quick, scale=scale)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    try:
        for fn in discover(args.only):
            ctx.log(f"-- {fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}")
            try:
                for result in fn(ctx):
                    summary = summarise(result, ctx)
                    results.append(summary)
                    ratio = f" x{summary['ratio_median']} of {summary['baseline']}" if "ratio_median" in summary else ""
                    ctx.log(f"   {summary['name']}: median {summary['median_ms']} ms, p95 {summary['p95_ms']} ms{ratio}")
            except Exception:
                failures.append(fn.__name__)
                ctx.log(traceback.format_exc())
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps({"vendor": args.db, "results": results, "failed": failures}, ensure_ascii=False))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main())
