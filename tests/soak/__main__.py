"""`make soak`: a mixed load on loopback for a set time (issue 16), on the cluster test's fleet (tests/cluster).

    python -m tests.soak [--seconds 1800] [--concurrency 4] [--search-nodes 0] [--keep]

Two web processes behind nginx, two workers, the Telegram bridge and the fake Bot API, Redis and a fresh
PostgreSQL database, as `make cluster-test` starts them, with nothing killed. Operators file tickets and answer,
volunteers claim and reply through the API and through the fake Telegram group, searches run throughout and
websocket clients follow the forum's queue and every live ticket. Reports, in var/soak/soak-<time>.json and a
readable summary: the error rate, p50/p95 latency per kind of request, the memory (RSS) of every process over
time, and the outbox's lag over time. Fails when any request failed or was retried, or when memory is not flat.

Flat: after the warm-up (the first quarter of the run, at least 20 s), the median RSS of each app process (web,
worker, bridge) over the last third of the samples exceeds the median over the first third by no more than
max(8 MiB, 5 %). The least-squares slope (MiB/hour) is reported beside it.

Then, with the fleet stopped, the long schema fuzz (tests/security/test_schema_fuzz.py: a live server, as
anonymous, an operator and a volunteer, on PostgreSQL) for a third of the soak's time (--fuzz-seconds; 0 skips
it), with --fuzz-examples (SOAK_FUZZ_EXAMPLES, default 200) examples per operation and role and schemathesis'
coverage phase. It fails the soak like any other failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.cluster.__main__ import django_setup, drain_outbox
from tests.cluster.drive import Options
from tests.cluster.stack import ROOT, Stack, log, postgres_url

from .load import SoakDriver

APP_PROCESSES = ("web", "worker", "bridge")
FLAT_MIB, FLAT_SHARE = 8.0, 0.05


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    if len(points) < 2:
        return 0.0
    mean_t = statistics.fmean(t for t, _ in points)
    mean_v = statistics.fmean(v for _, v in points)
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return 0.0 if not var else sum((t - mean_t) * (v - mean_v) for t, v in points) / var * 3600


def memory_report(samples: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    warm = max(20.0, seconds / 4)
    names = sorted({name for s in samples for name in s["rss_mib"]})
    report: dict[str, Any] = {"warm_up_s": warm, "rule": f"late median <= early median + max({FLAT_MIB} MiB, "
                                                          f"{FLAT_SHARE:.0%}) after warm-up", "processes": {}}
    for name in names:
        points = [(s["t"], s["rss_mib"][name]) for s in samples if name in s["rss_mib"] and s["t"] >= warm]
        third = max(1, len(points) // 3)
        early = statistics.median(v for _, v in points[:third]) if points else 0.0
        late = statistics.median(v for _, v in points[-third:]) if points else 0.0
        checked = name.startswith(APP_PROCESSES)
        flat = late - early <= max(FLAT_MIB, FLAT_SHARE * early)
        report["processes"][name] = {
            "start_mib": samples[0]["rss_mib"].get(name, 0.0) if samples else 0.0, "early_mib": early,
            "late_mib": late, "growth_mib": round(late - early, 1), "slope_mib_per_hour": round(slope_per_hour(points), 1),
            "samples": len(points), "checked": checked, "flat": flat,
        }
    return report


def analyse(driver: SoakDriver, stack: Stack, seconds: float, wall: float) -> tuple[dict[str, Any], list[str]]:
    tally = driver.tally
    latency = {kind: {"count": len(v), "p50_ms": round(percentile(v, 0.5) * 1000),
                      "p95_ms": round(percentile(v, 0.95) * 1000), "max_ms": round(max(v) * 1000)}
               for kind, v in sorted(driver.latencies.items()) if v}
    measured = {k: v for k, v in driver.latencies.items() if k not in ("ticket_life", "telegram_reply_seen")}
    requests = sum(len(v) for v in measured.values()) + tally.http_retries + len(tally.tickets_failed)
    ws_errors = [e for c in driver.ws for e in c.errors]
    errors = (tally.http_retries + len(tally.server_errors) + len(tally.tickets_failed) + tally.searches_failed
              + len(ws_errors) + sum(len(c.reloads) for c in driver.ws) + len(tally.errors))
    jobs, not_done, retried = drain_outbox(60)
    memory = memory_report(driver.samples, seconds)
    lags = [s["outbox_lag_s"] for s in driver.samples]
    report = {
        "seconds": seconds, "wall_seconds": round(wall), "loadavg_start_end": driver.loadavg,
        "lives": {"started": driver.lives_started, "done": tally.tickets_done, "failed": len(tally.tickets_failed)},
        "requests": requests, "errors": errors, "error_rate": round(errors / max(1, requests), 6),
        "error_detail": {"http_retries": tally.http_retries, "server_errors": len(tally.server_errors),
                         "searches_failed": tally.searches_failed, "websocket_errors": len(ws_errors),
                         "websocket_reloads": sum(len(c.reloads) for c in driver.ws),
                         "websocket_gaps": sum(c.gaps for c in driver.ws),
                         "websocket_duplicates": sum(c.duplicates for c in driver.ws), "other": tally.errors[:5]},
        "websocket_events": sum(c.events for c in driver.ws), "searches_ok": tally.searches_ok,
        "latency": latency, "memory": memory,
        "outbox": {"jobs": jobs, "not_done_after_drain": not_done, "retried": retried,
                   "lag_p95_s": percentile(lags, 0.95), "lag_max_s": max(lags or [0.0])},
        "samples": driver.samples,
    }
    failures = []
    if errors:
        failures.append(f"error rate {report['error_rate']:.4%} ({errors} errors: {report['error_detail']}; "
                        f"failed lives e.g. {tally.tickets_failed[:2]})")
    if sum(c.gaps + c.duplicates for c in driver.ws):
        failures.append("websocket gaps or duplicates")
    for name, proc in memory["processes"].items():
        if proc["checked"] and not proc["flat"]:
            failures.append(f"memory of {name} not flat: {proc['early_mib']} -> {proc['late_mib']} MiB")
    if not_done:
        failures.append(f"{not_done} outbox jobs not done after the run")
    if not tally.tickets_done:
        failures.append("no ticket life completed")
    return report, failures


def summary(report: dict[str, Any], path: Path) -> str:
    lines = [f"soak: {report['seconds']:.0f} s, {report['lives']['done']} ticket lives "
             f"({report['lives']['failed']} failed), {report['requests']} requests, error rate "
             f"{report['error_rate']:.4%}, websocket events {report['websocket_events']}, "
             f"searches {report['searches_ok']}; load average {report['loadavg_start_end']}",
             "  latency (ms)        count    p50    p95    max"]
    for kind, row in report["latency"].items():
        lines.append(f"  {kind:<18} {row['count']:>6} {row['p50_ms']:>6} {row['p95_ms']:>6} {row['max_ms']:>6}")
    lines.append(f"  memory RSS (MiB), after {report['memory']['warm_up_s']:.0f} s warm-up: start -> early -> late "
                 "(slope MiB/h)")
    for name, row in report["memory"]["processes"].items():
        mark = ("flat" if row["flat"] else "GROWING") if row["checked"] else "not checked"
        lines.append(f"  {name:<18} {row['start_mib']:>7.1f} -> {row['early_mib']:>7.1f} -> {row['late_mib']:>7.1f} "
                     f"({row['slope_mib_per_hour']:+.1f}) {mark}")
    ob = report["outbox"]
    lines.append(f"  outbox: {ob['jobs']} jobs, lag p95 {ob['lag_p95_s']} s, max {ob['lag_max_s']} s, "
                 f"retried {ob['retried']}, not done {ob['not_done_after_drain']}")
    lines.append(f"  report: {path}")
    return "\n".join(lines)


def schema_fuzz(seconds: float, examples: int, env: dict[str, str]) -> int:
    """The long schema fuzz in a pytest process of its own (the soak process is set up for the fleet)."""
    log(f"soak: schema fuzzing for up to {seconds:.0f}s, {examples} examples per operation and role")
    env = {**env, "DJANGO_SETTINGS_MODULE": "helpdesk.settings.test", "HELPDESK_TEST_DATABASE": "postgres",
           "HELPDESK_TEST_POSTGRES_URL": postgres_url(), "HELPDESK_FUZZ_SECONDS": f"{seconds:.0f}",
           "HELPDESK_FUZZ_EXAMPLES": str(examples), "HELPDESK_FUZZ_COVERAGE": "1"}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--no-header", "-rfE",
               "tests/security/test_schema_fuzz.py"]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def main() -> int:
    environment = dict(os.environ)  # before the fleet's settings are added to it
    parser = argparse.ArgumentParser(prog="make soak")
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS") or 1800))
    parser.add_argument("--concurrency", type=int, default=int(os.environ.get("SOAK_CONCURRENCY", 4)))
    parser.add_argument("--operators", type=int, default=6)
    parser.add_argument("--volunteers", type=int, default=3)
    parser.add_argument("--ws-clients", type=int, default=3)
    parser.add_argument("--search-nodes", type=int, default=int(os.environ.get("SOAK_SEARCH_NODES", 0)),
                        choices=[0, 1])
    parser.add_argument("--sample-every", type=float, default=5.0)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs) after the run")
    parser.add_argument("--fuzz-seconds", type=float, default=None,
                        help="the schema fuzz's time budget after the load (default: a third of --seconds; 0: none)")
    parser.add_argument("--fuzz-examples", type=int, default=int(os.environ.get("SOAK_FUZZ_EXAMPLES", 200)))
    args = parser.parse_args()
    fuzz_seconds = args.seconds / 3 if args.fuzz_seconds is None else args.fuzz_seconds
    options = Options(tickets=0, concurrency=args.concurrency, operators=args.operators, volunteers=args.volunteers,
                      ws_clients=args.ws_clients, search_interval=1.0)

    def on_signal(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stack = Stack(web=2, workers=2, search_nodes=args.search_nodes, heap="512m", keep=args.keep)
    started = time.monotonic()
    status = 1
    try:
        stack.create_database()
        stack.start_redis()
        stack.start_search()
        stack.start_fake()
        stack.prepare_telegram(args.volunteers)
        stack.prepare_app(operators=args.operators, volunteers=args.volunteers, kb_entries=25)
        stack.start_app()
        django_setup(stack)
        log(f"soak: fleet up in {time.monotonic() - started:.0f}s; load for {args.seconds:.0f}s")
        driver = SoakDriver(stack, options, seconds=args.seconds, sample_every=args.sample_every)
        driver.loadavg = [Path("/proc/loadavg").read_text().split()[0]]
        run_started = time.monotonic()
        asyncio.run(driver.run())
        driver.loadavg.append(Path("/proc/loadavg").read_text().split()[0])
        report, failures = analyse(driver, stack, args.seconds, time.monotonic() - run_started)
        report["failures"] = failures
        out = ROOT / "var" / "soak"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"soak-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
        path.write_text(json.dumps(report, indent=2) + "\n")
        print(summary(report, path), flush=True)
        for failure in failures:
            print(f"FAIL: {failure}", file=sys.stderr)
        if failures:
            print(stack.tails(), file=sys.stderr)
        status = 1 if failures else 0
    except BaseException as exc:
        print(f"soak: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(stack.tails(), file=sys.stderr)
        status = 1
    finally:
        stack.shutdown()
    if fuzz_seconds > 0:
        fuzzed = schema_fuzz(fuzz_seconds, args.fuzz_examples, environment)
        if fuzzed:
            print(f"FAIL: schema fuzzing (pytest exit status {fuzzed})", file=sys.stderr)
        status = status or (1 if fuzzed else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
