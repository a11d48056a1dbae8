"""Realtime fan-out: from the service call to the last of N websocket clients receiving the event.

A real daphne process serves N real websocket clients (this process, asyncio) subscribed to one ticket. Each
sample posts a reply through `services.message_create` here and waits until every client has the frame.
The baseline is a raw channel-layer `group_send` of a ready-made event to the same clients, through the same
daphne and consumers: the difference is what the service, the event log and the after-commit hand-off cost.

With Redis (HELPDESK_TEST_REDIS_URL): N = 10, 100, 1000. Target: p95 ≤ 100 ms at N = 100 on 2 cores.
On the embedded default (no Redis) the ASGI process reads the log every REALTIME_POLL_SECONDS, so events of
another process arrive on the next poll: reported for N = 10 and 100 for comparison.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from helpdesk.accounts.models import ForumMembership, User
from helpdesk.categories.services import ensure_default_categories
from helpdesk.realtime import streams
from helpdesk.tickets import services
from tests.factories import ForumFactory, region
from tests.services import ROOT, free_port, subprocess_env, wait_for

SIZES_REDIS = [10, 100, 1000]
SIZES_EMBEDDED = [10, 100]


def _world() -> tuple[Any, User, User]:
    """A ticket, its reporter and a volunteer of whichever forum it was routed to (other workloads may have
    set up forums for the same regions)."""
    ensure_default_categories()
    region("52.03.01.2001", "Desa Bench Realtime")
    ForumFactory(name="Bench Realtime", slug="bench-realtime")  # a root forum, in case nothing covers the desa
    operator, _ = User.objects.get_or_create(
        username="bench-rt-op",
        defaults={"desa_id": "52.03.01.2001", "operator_status": User.OperatorStatus.VERIFIED, "name": "Operator"},
    )
    volunteer, _ = User.objects.get_or_create(username="bench-rt-vol", defaults={"name": "Relawan Bench"})
    ticket = services.ticket_create(reporter=operator, title="Bench realtime", category="lainnya")
    ForumMembership.objects.get_or_create(forum=ticket.forum, user=volunteer)
    return ticket, operator, volunteer


def _cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


class Daphne:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.log = Path(ROOT / "var" / f"bench-daphne-{self.port}.log")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "helpdesk.asgi:application"],
            cwd=ROOT,
            env=subprocess_env(DJANGO_SETTINGS_MODULE="tests.realtime.subprocess_settings", **env),
            stdout=open(self.log, "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        wait_for(self._up, timeout=30, what="daphne")

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"daphne exited: {self.log.read_text()[-2000:]}")
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.unlink(missing_ok=True)


class Clients:
    """N websocket clients; `wait(match)` resolves when every one of them received a matching frame."""

    def __init__(self, url: str, cookie: str, streams_: list[str]) -> None:
        self.url, self.cookie, self.streams = url, cookie, streams_
        self.sockets: list[Any] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.pending: dict[str, tuple[int, asyncio.Event, list[float]]] = {}

    async def open(self, n: int) -> None:
        from websockets.asyncio.client import connect

        async def one() -> None:
            ws = await connect(self.url, additional_headers=[("Cookie", self.cookie)], max_size=None, open_timeout=60)
            for stream in self.streams:
                await ws.send(json.dumps({"action": "subscribe", "stream": stream}))
            for _ in self.streams:
                answer = json.loads(await ws.recv())
                assert answer["type"] == "subscribed", answer
            self.sockets.append(ws)
            self.tasks.append(asyncio.create_task(self._read(ws)))

        for start in range(0, n, 50):
            await asyncio.gather(*(one() for _ in range(min(50, n - start))))

    async def _read(self, ws: Any) -> None:
        async for raw in ws:
            data = json.loads(raw).get("data") or {}
            key = str(data.get("message") or data.get("probe") or "")
            if key:
                # A reply's frame can arrive before message_create has returned its id: keep it for later.
                entry = self._entry(key)
                entry[2].append(time.perf_counter())
                if len(entry[2]) >= entry[0]:
                    entry[1].set()

    def _entry(self, key: str) -> tuple[int, asyncio.Event, list[float]]:
        if key not in self.pending:
            self.pending[key] = (len(self.sockets), asyncio.Event(), [])
        return self.pending[key]

    def expect(self, key: str) -> asyncio.Event:
        return self._entry(key)[1]

    def last(self, key: str) -> float:
        return max(self.pending.pop(key)[2])

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


async def _measure(ctx: Any, clients: Clients, ticket: Any, volunteer: User, user_stream: str, *,
                   repeat: int, baseline: bool) -> tuple[list[float], list[float]]:
    from channels.layers import get_channel_layer

    # The service runs in one thread of its own (the ORM is synchronous), which keeps its connection.
    worker = ThreadPoolExecutor(max_workers=1)
    loop = asyncio.get_running_loop()

    async def service_sample(n: int) -> float:
        marker = f"svc-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        message = await loop.run_in_executor(worker, functools.partial(
            services.message_create, ticket=ticket, author=volunteer, body=f"Balasan uji {n} {marker}"
        ))
        key = str(message.pk)
        done = clients.expect(key)
        await asyncio.wait_for(done.wait(), timeout=30)
        return (clients.last(key) - started) * 1000

    probe_seq = [0]

    async def baseline_sample() -> float:
        probe_seq[0] += 1
        key = f"probe{uuid.uuid4().hex[:8]}"
        done = clients.expect(key)
        event = {"gid": 0, "seq": probe_seq[0], "stream": user_stream, "type": "bench.probe",
                 "data": {"probe": key}, "at": "", "audience": ""}
        started = time.perf_counter()
        await get_channel_layer().group_send(streams.group(user_stream), {"type": "realtime.event", "event": event})
        await asyncio.wait_for(done.wait(), timeout=30)
        return (clients.last(key) - started) * 1000

    service: list[float] = []
    try:
        for n in range(repeat + 3):
            sample = await service_sample(n)
            if n >= 3:
                service.append(sample)
    finally:
        await loop.run_in_executor(worker, lambda: connection.close())
        worker.shutdown()
    probes: list[float] = []
    if baseline:
        for n in range(repeat + 3):
            sample = await baseline_sample()
            if n >= 3:
                probes.append(sample)
    return service, probes


def _run(ctx: Any, daphne: Daphne, sizes: list[int], label: str, *, baseline: bool) -> list[dict[str, Any]]:
    ticket, operator, volunteer = _world()
    cookie = _cookie(operator)
    user_stream = streams.user_stream(operator.pk)
    results: list[dict[str, Any]] = []

    async def run_size(n: int) -> dict[str, Any]:
        clients = Clients(f"ws://127.0.0.1:{daphne.port}/ws/", cookie, [f"ticket:{ticket.pk}", user_stream])
        started = time.perf_counter()
        await clients.open(n)
        opened = time.perf_counter() - started
        repeat = ctx.repeat(30 if n < 1000 else 20)
        try:
            service, probes = await _measure(ctx, clients, ticket, volunteer, user_stream, repeat=repeat, baseline=baseline)
        finally:
            await clients.close()
        result: dict[str, Any] = {
            "name": f"realtime.{label}.service_to_last_of_{n}",
            "samples_ms": service,
            "extra": {"clients": n, "connect_all_s": round(opened, 2), "transport": label},
        }
        if probes:
            result["baseline_samples_ms"] = probes
            result["baseline"] = "raw_group_send"
        if n == 100 and label == "redis":
            result["target"] = "p95 <= 100 ms"
        return result

    for n in sizes:
        ctx.log(f"   {label}: {n} clients")
        results.append(asyncio.run(run_size(n)))
    return results


def bench_realtime(ctx: Any) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    redis_url = os.environ.get("HELPDESK_TEST_REDIS_URL", "")
    sizes_redis = [10, 100] if ctx.quick else SIZES_REDIS
    if redis_url:
        prefix = f"bench{uuid.uuid4().hex[:6]}"
        layers = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                              "CONFIG": {"hosts": [redis_url], "prefix": prefix}}}
        daphne = Daphne({"HELPDESK_TEST_REALTIME_REDIS_URL": redis_url, "HELPDESK_TEST_REALTIME_PREFIX": prefix})
        try:
            with override_settings(CHANNEL_LAYERS=layers, REDIS_URL=redis_url):
                results += _run(ctx, daphne, sizes_redis, "redis", baseline=True)
        finally:
            daphne.stop()
    else:
        ctx.log("   HELPDESK_TEST_REDIS_URL not set: the Redis figures are skipped (make services; source .services/env)")
    daphne = Daphne({})
    try:
        results += _run(ctx, daphne, SIZES_EMBEDDED[:1] if ctx.quick else SIZES_EMBEDDED, "embedded", baseline=False)
    finally:
        daphne.stop()
    return results
