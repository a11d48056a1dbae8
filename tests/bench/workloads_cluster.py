"""Throughput through nginx (issue 18): a mixed load against one web process and against two, and ticket creation
with concurrent clients, on PostgreSQL; daphne (ASGI) against gunicorn (WSGI) for the same load.

Runs the cluster test's stack (tests/cluster/stack.py) without the search engine and Telegram: a fresh database in
the PostgreSQL of deploy/services, Redis, two web processes, one worker, Debian's nginx on 127.0.0.1. The load
comes from concurrent asyncio clients (httpx) in this process:

- mixed: operators filing tickets (10 %), volunteers listing their queue (40 %), volunteers replying (20 %),
  knowledge-base searches (30 %); every client signed in with its own token;
- creation: every client files tickets as fast as the server answers; driven by Debian's `wrk` when it is
  installed (tests/bench/wrk_load.py: the generator's own CPU is then a twentieth of the Python clients'), by
  the Python clients otherwise or with BENCH_LOAD_GENERATOR=python;
- baseline: the same clients on `/healthz` (a plain Django view) through nginx, measured in the same run.

Each phase runs for a fixed time (BENCH_CLUSTER_SECONDS, default 20; 5 with --quick), for each web process
configuration of CONFIGS (BENCH_CLUSTER_SERVERS). Results: throughput (requests/s), median and p95 latency, the
scaling ratio two processes / one, the CPU each part spent per request (web processes, nginx, the load
generator; from /proc, so independent of what else the machine runs) and the database's lock waits (sampled
from pg_stat_activity). The machine has 2 cores shared by nginx, the web processes, PostgreSQL and the load
generator itself, so the ratio is bounded by the CPU left over.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from . import wrk_load


def _load(*, base: str, tokens: dict[str, list[str]], kind: str, seconds: float, clients: int,
          forum_tickets: list[int]) -> dict[str, Any]:
    """Run `clients` concurrent clients for `seconds`; return samples (ms), counts and errors."""
    samples: list[float] = []
    errors: dict[str, int] = {}
    counts: dict[str, int] = {}
    created: list[int] = []

    async def client(n: int) -> None:
        rng = random.Random(n)
        op = tokens["operators"][n % len(tokens["operators"])]
        vol = tokens["volunteers"][n % len(tokens["volunteers"])]
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            deadline = time.monotonic() + seconds
            i = 0
            while time.monotonic() < deadline:
                i += 1
                if kind == "baseline":
                    action, req = "healthz", http.build_request("GET", "/healthz")
                elif kind == "create":
                    action = "file"
                else:
                    roll = rng.random()
                    action = "file" if roll < 0.1 else "list" if roll < 0.5 else "reply" if roll < 0.7 else "search"
                if action == "file":
                    req = http.build_request("POST", "/api/v1/tickets/", headers={"Authorization": f"Token {op}"}, json={
                        "title": f"Gagal impor data penduduk {n}-{i}", "description": "Berhenti di baris 12.",
                        "category": "kependudukan"})
                elif action == "list":
                    req = http.build_request("GET", "/api/v1/tickets/?limit=25", headers={"Authorization": f"Token {vol}"})
                elif action == "reply":
                    tid = forum_tickets[rng.randrange(len(forum_tickets))]
                    req = http.build_request("POST", f"/api/v1/tickets/{tid}/messages/",
                                             headers={"Authorization": f"Token {vol}"},
                                             json={"body": f"Coba langkah {i}: impor ulang."})
                elif action == "search":
                    q = rng.choice(["impor penduduk", "layanan mandiri", "cetak surat", "opendk", "backup"])
                    req = http.build_request("GET", f"/api/v1/kb/search/?q={q}&limit=5")
                started = time.perf_counter()
                try:
                    response = await http.send(req)
                    ok = response.status_code in (200, 201)
                    if ok and action == "file":
                        created.append(response.json()["id"])
                    if not ok:
                        errors[f"{action} {response.status_code}"] = errors.get(f"{action} {response.status_code}", 0) + 1
                except httpx.HTTPError as exc:
                    ok = False
                    errors[f"{action} {type(exc).__name__}"] = errors.get(f"{action} {type(exc).__name__}", 0) + 1
                if ok:
                    samples.append((time.perf_counter() - started) * 1000)
                    counts[action] = counts.get(action, 0) + 1

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    return {"samples": samples, "elapsed": elapsed, "errors": errors, "counts": counts, "created": created,
            "per_second": round(len(samples) / elapsed, 1)}


def _tokens(base: str, usernames: list[str]) -> list[str]:
    from tests.cluster.stack import PASSWORD

    out = []
    with httpx.Client(base_url=base, timeout=30) as http:
        for username in usernames:
            response = http.post("/api/v1/auth/token/", json={"username": username, "password": PASSWORD})
            response.raise_for_status()
            out.append(response.json()["token"])
    return out


# Web process configurations compared in the same run: name -> (server, extra environment of the web processes).
# daphne (ASGI) is what serves pages and websockets; Django's docs advise against persistent connections under
# ASGI, so it keeps one connection per request. gunicorn (WSGI, threads) may keep them (DATABASE_CONN_MAX_AGE).
CONFIGS: dict[str, tuple[str, dict[str, str]]] = {
    "daphne": ("daphne", {"DATABASE_CONN_MAX_AGE": "0"}),
    "gunicorn": ("gunicorn", {"DATABASE_CONN_MAX_AGE": "0"}),
    "gunicorn_persistent": ("gunicorn", {"DATABASE_CONN_MAX_AGE": "60"}),
}


def _configs() -> list[str]:
    """BENCH_CLUSTER_SERVERS picks (comma list of CONFIGS); gunicorn ones only when it is installed."""
    import importlib.util

    wanted = [c for c in os.environ.get("BENCH_CLUSTER_SERVERS", ",".join(CONFIGS)).split(",") if c in CONFIGS]
    return [c for c in wanted if CONFIGS[c][0] == "daphne" or importlib.util.find_spec(CONFIGS[c][0]) is not None]


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _cpu_seconds(groups: list[int]) -> float:
    """User + system CPU of every process in these process groups (a web process and its workers, nginx)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in groups:  # pgrp; utime and stime are fields 14 and 15 of stat
            total += int(fields[11]) + int(fields[12])
    return total / tick


class _LockWaits:
    """Samples pg_stat_activity of the run's database every 50 ms: how many backends are active, how many wait
    for a lock (a hot row held to commit shows up here)."""

    def __init__(self, url: str, database: str) -> None:
        self.url, self.database = url, database
        self.samples = self.active = self.waiting = 0
        self.events: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _LockWaits:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(0.05):
                rows = conn.execute(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", [self.database]).fetchall()
                self.samples += 1
                for state, wait_type, wait_event in rows:
                    if state == "active":
                        self.active += 1
                    if wait_type == "Lock":
                        self.waiting += 1
                        self.events[wait_event] = self.events.get(wait_event, 0) + 1

    def summary(self) -> dict[str, Any]:
        n = max(1, self.samples)
        return {"active_backends": round(self.active / n, 2), "lock_waiting_backends": round(self.waiting / n, 2),
                "lock_wait_events": self.events}


def _measured(stack: Any, kind: str, **kwargs: Any) -> dict[str, Any]:
    """`_load` with the CPU each part spent per request (web processes, nginx, this load generator) and the
    database's lock waits."""
    web = [p.pid for name, p in stack.procs.items() if name.startswith("web") and p.alive()]
    nginx = [stack.procs["nginx"].pid]
    wrk = wrk_load.wrk_path() if kind == "create" else None
    before = (_cpu_seconds(web), _cpu_seconds(nginx), time.process_time())
    with _LockWaits(stack.admin_url, stack.db_name) as waits:
        if wrk:
            run = wrk_load.create(wrk=wrk, base=kwargs["base"], tokens=kwargs["tokens"]["operators"],
                                  seconds=kwargs["seconds"], clients=kwargs["clients"])
        else:
            run = {**_load(kind=kind, **kwargs), "driver": "python"}
    after = (_cpu_seconds(web), _cpu_seconds(nginx), time.process_time())
    if wrk:  # this process only waited: the generator's CPU is wrk's
        after = (after[0], after[1], before[2] + run.pop("load_generator_cpu_s"))
    done = max(1, run["counts"].get("file", 0) if wrk else len(run["samples"]))
    run["cpu_ms_per_request"] = {part: round((a - b) * 1000 / done, 2)
                                 for part, a, b in zip(("web", "nginx", "load_generator"), after, before, strict=True)}
    run["database"] = waits.summary()
    return run


def bench_cluster_throughput(ctx: Any) -> list[dict[str, Any]]:
    if ctx.db != "postgres":
        ctx.log("   (PostgreSQL only: skipped)")
        return []
    from tests.cluster.stack import Stack

    seconds = float(os.environ.get("BENCH_CLUSTER_SECONDS", 5 if ctx.quick else 20))
    clients = int(os.environ.get("BENCH_CLUSTER_CLIENTS", 16))
    stack = Stack(web=2, workers=1, search_nodes=0, telegram=False)
    results: list[dict[str, Any]] = []
    try:
        stack.create_database()
        stack.start_redis()
        stack.prepare_app(operators=16, volunteers=8, kb_entries=200)
        stack.start_app()
        base = stack.base
        tokens = {"operators": _tokens(base, stack.world["operators"]),
                  "volunteers": _tokens(base, stack.world["volunteers"])}
        # Something to list and reply to.
        seed = _load(base=base, tokens=tokens, kind="create", seconds=3, clients=4, forum_tickets=[])
        forum_tickets = seed["created"]
        load = {"base": base, "tokens": tokens, "seconds": seconds, "clients": clients, "forum_tickets": forum_tickets}
        summary: dict[str, Any] = {}
        for config in _configs():
            server, env = CONFIGS[config]
            stack.restart_web(server, env)
            for label, ports in (("one_web", stack.web_ports[:1]), ("two_web", stack.web_ports)):
                stack.start_nginx(web_ports=ports)
                key = f"{config}.{label}"
                _load(kind="baseline", **{**load, "seconds": 2})  # warm-up
                load_before = _loadavg()
                baseline = _measured(stack, "baseline", **load)
                mixed = _measured(stack, "mixed", **load)
                create = _measured(stack, "create", **load)
                summary[key] = {
                    "baseline": baseline["per_second"], "mixed": mixed["per_second"], "create": create["per_second"],
                    "create_to_baseline": round(create["per_second"] / baseline["per_second"], 3)
                    if baseline["per_second"] else None,
                    "create_driver": create["driver"], "create_cpu_ms": create["cpu_ms_per_request"],
                    "create_db": create["database"],
                    "loadavg": f"{load_before} -> {_loadavg()}",
                }
                ctx.log(f"   {key}: {summary[key]}")
                for name, run in (("mixed", mixed), ("create", create)):
                    results.append({
                        "name": f"cluster.{name}.{key}", "samples_ms": run["samples"] or [0.0],
                        "baseline": "plain_view_nginx", "baseline_samples_ms": baseline["samples"],
                        "extra": {"requests_per_second": run["per_second"], "baseline_per_second": baseline["per_second"],
                                  "clients": clients, "seconds": round(run["elapsed"], 1), "counts": run["counts"],
                                  "errors": run["errors"], "cpu_ms_per_request": run["cpu_ms_per_request"],
                                  "database": run["database"], "loadavg": summary[key]["loadavg"],
                                  "driver": run["driver"]},
                        **({"target": ">= 200 tickets/s"} if name == "create" else {}),
                    })
                results.append({"name": f"cluster.plain_view.{key}", "samples_ms": baseline["samples"],
                                "extra": {"requests_per_second": baseline["per_second"], "errors": baseline["errors"],
                                          "cpu_ms_per_request": baseline["cpu_ms_per_request"]}})
            one, two = summary[f"{config}.one_web"], summary[f"{config}.two_web"]
            ratio = {k: round(two[k] / one[k], 2) if one[k] else None for k in ("baseline", "mixed", "create")}
            ctx.log(f"   {config}: ratio two web / one web {ratio}")
            results.append({"name": f"cluster.scaling.{config}", "samples_ms": [0.0],
                            "extra": {"per_second": {"one_web": one, "two_web": two}, "ratio_two_to_one": ratio,
                                      "cpus": os.cpu_count()}})
    finally:
        stack.stop()
    return results
