"""Throughput through nginx (issue 18): a mixed load against one web process and against two, and ticket creation
with concurrent clients, on PostgreSQL.

Runs the cluster test's stack (tests/cluster/stack.py) without the search engine and Telegram: a fresh database in
the PostgreSQL of deploy/services, Redis, two daphne processes, one worker, Debian's nginx on 127.0.0.1. The load
comes from concurrent asyncio clients (httpx) in this process:

- mixed: operators filing tickets (10 %), volunteers listing their queue (40 %), volunteers replying (20 %),
  knowledge-base searches (30 %); every client signed in with its own token;
- creation: every client files tickets as fast as the server answers;
- baseline: the same clients on `/healthz` (a plain Django view) through nginx, measured in the same run.

Each phase runs for a fixed time (BENCH_CLUSTER_SECONDS, default 20; 5 with --quick). Results: throughput
(requests/s), median and p95 latency, the scaling ratio two processes / one. The machine has 2 cores shared by
nginx, the web processes, PostgreSQL and the load generator itself, so the ratio is bounded by the CPU left over.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from typing import Any

import httpx


def _load(base: str, tokens: dict[str, list[str]], *, kind: str, seconds: float, clients: int,
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
        seed = _load(base, tokens, kind="create", seconds=3, clients=4, forum_tickets=[])
        forum_tickets = seed["created"]
        summary: dict[str, Any] = {}
        for label, ports in (("one_web", stack.web_ports[:1]), ("two_web", stack.web_ports)):
            stack.start_nginx(web_ports=ports)
            _load(base, tokens, kind="baseline", seconds=2, clients=clients, forum_tickets=forum_tickets)  # warm-up
            baseline = _load(base, tokens, kind="baseline", seconds=seconds, clients=clients, forum_tickets=forum_tickets)
            mixed = _load(base, tokens, kind="mixed", seconds=seconds, clients=clients, forum_tickets=forum_tickets)
            create = _load(base, tokens, kind="create", seconds=seconds, clients=clients, forum_tickets=forum_tickets)
            summary[label] = {"baseline": baseline["per_second"], "mixed": mixed["per_second"],
                              "create": create["per_second"]}
            for name, run in (("mixed", mixed), ("create", create)):
                results.append({
                    "name": f"cluster.{name}.{label}", "samples_ms": run["samples"] or [0.0],
                    "baseline": "plain_view_nginx", "baseline_samples_ms": baseline["samples"],
                    "extra": {"requests_per_second": run["per_second"], "baseline_per_second": baseline["per_second"],
                              "clients": clients, "seconds": round(run["elapsed"], 1), "counts": run["counts"],
                              "errors": run["errors"]},
                    **({"target": ">= 200 tickets/s"} if name == "create" else {}),
                })
            results.append({"name": f"cluster.plain_view.{label}", "samples_ms": baseline["samples"],
                            "extra": {"requests_per_second": baseline["per_second"], "errors": baseline["errors"]}})
        ratio = {k: round(summary["two_web"][k] / summary["one_web"][k], 2) if summary["one_web"][k] else None
                 for k in ("baseline", "mixed", "create")}
        ctx.log(f"   throughput (req/s) one web {summary['one_web']}, two web {summary['two_web']}, ratio {ratio}")
        results.append({"name": "cluster.scaling", "samples_ms": [0.0],
                        "extra": {"per_second": summary, "ratio_two_to_one": ratio, "cpus": os.cpu_count()}})
    finally:
        stack.stop()
    return results
