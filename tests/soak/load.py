"""The soak's load: the cluster test's ticket lives (tests/cluster/drive.py) started one after another until the
time is up, with each request timed by kind, websocket subscriptions dropped when a ticket's life ends, and the
processes' memory and the outbox's lag sampled throughout."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import defaultdict
from typing import Any

import httpx
import websockets

from tests.cluster.drive import Api, Driver, Options, Tally, WsClient, token_for
from tests.cluster.stack import Stack

KINDS = [
    (re.compile(r"^POST /api/v1/tickets/$"), "file_ticket"),
    (re.compile(r"^POST /api/v1/tickets/\d+/messages/$"), "reply"),
    (re.compile(r"^POST /api/v1/tickets/\d+/claim/$"), "claim"),
    (re.compile(r"^POST /api/v1/tickets/\d+/resolve/$"), "resolve"),
    (re.compile(r"^GET /api/v1/tickets/\d+/$"), "read_ticket"),
    (re.compile(r"^POST /api/v1/realtime/ticket/$"), "websocket_key"),
]


def kind_of(method: str, url: str) -> str:
    line = f"{method} {url.split('?', 1)[0]}"
    return next((kind for pattern, kind in KINDS if pattern.match(line)), "other")


class TimedApi(Api):
    """The cluster test's client, with the time of every request recorded by kind (retries count as errors)."""

    def __init__(self, base: str, token: str, tally: Tally, latencies: dict[str, list[float]]) -> None:
        super().__init__(base, token, tally)
        self.latencies = latencies

    async def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        started = time.monotonic()
        response = await super().call(method, url, **kwargs)
        self.latencies[kind_of(method, url)].append(time.monotonic() - started)
        return response


class SoakWs(WsClient):
    """Follows a ticket's stream while the ticket lives, then unsubscribes (a soak would pass the limit)."""

    async def drop(self, stream: str) -> None:
        self.last.pop(stream, None)
        self.subscribed.discard(stream)
        if self.ws is not None:
            with contextlib.suppress(websockets.ConnectionClosed):
                await self.ws.send(json.dumps({"action": "unsubscribe", "stream": stream}))

    def on_frame(self, frame: dict[str, Any]) -> None:
        stream = frame.get("stream")
        if frame.get("type") not in ("error", "reload") and stream not in self.last:
            return  # a late event of a stream just dropped
        super().on_frame(frame)


class SoakDriver(Driver):
    def __init__(self, stack: Stack, options: Options, *, seconds: float, sample_every: float = 5.0) -> None:
        super().__init__(stack, options)
        self.seconds = seconds
        self.sample_every = sample_every
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.samples: list[dict[str, Any]] = []
        self.lives_started = 0
        self.started = 0.0
        self.loadavg: list[str] = []

    async def setup(self) -> None:
        base, world = self.stack.base, self.stack.world
        self.ops = [TimedApi(base, await token_for(base, u), self.tally, self.latencies) for u in world["operators"]]
        self.vols = [TimedApi(base, await token_for(base, u), self.tally, self.latencies) for u in world["volunteers"]]
        ws_base = base.replace("http://", "ws://")
        self.ws = [SoakWs(f"ws{n + 1}", self.vols[n % len(self.vols)], ws_base, self.tally)
                   for n in range(self.o.ws_clients)]
        for client in self.ws:
            client.last[f"queue:{world['forum']}"] = 0

    async def soak_life(self, i: int) -> None:
        started = time.monotonic()
        try:
            await asyncio.wait_for(self._life(i), self.o.life_timeout)
            self.tally.tickets_done += 1
            self.latencies["ticket_life"].append(time.monotonic() - started)
        except Exception as exc:
            self.tally.tickets_failed.append(f"ticket {i}: {type(exc).__name__}: {exc}")
        finally:
            ticket = self.tickets.pop(i, None)  # the soak keeps no list that grows with its length
            if ticket is not None:
                await self.ws[i % len(self.ws)].drop(f"ticket:{ticket['id']}")

    async def wait_message(self, api: Api, tid: int, marker: str, timeout: float = 90) -> None:
        started = time.monotonic()
        await super().wait_message(api, tid, marker, timeout)
        self.latencies["telegram_reply_seen"].append(time.monotonic() - started)

    async def searches(self) -> None:
        queries = ["impor penduduk", "layanan mandiri", "cetak surat", "opendk", "backup database"]
        async with httpx.AsyncClient(base_url=self.stack.base, timeout=10) as client:
            n = 0
            while not self.search_stop:
                started = time.monotonic()
                try:
                    response = await client.get("/api/v1/kb/search/", params={"q": queries[n % len(queries)]})
                    good = response.status_code == 200 and bool(response.json()["results"])
                except (httpx.HTTPError, ValueError, KeyError):
                    good = False
                self.latencies["search"].append(time.monotonic() - started)
                if good:
                    self.tally.searches_ok += 1
                else:
                    self.tally.searches_failed += 1
                n += 1
                await asyncio.sleep(self.o.search_interval)

    async def sampler(self) -> None:
        while not self.search_stop:
            sample = await asyncio.to_thread(self.sample)
            self.samples.append(sample)
            await asyncio.sleep(self.sample_every)

    def sample(self) -> dict[str, Any]:
        rss = {}
        for name, proc in self.stack.procs.items():
            if proc.alive():
                rss[name] = rss_mib(proc.pid)
        lag, pending = outbox_lag(self.stack.database_url)
        return {"t": round(time.monotonic() - self.started, 1), "rss_mib": rss, "outbox_lag_s": lag,
                "outbox_pending": pending, "lives_done": self.tally.tickets_done}

    async def run(self) -> None:
        await self.setup()
        self.started = time.monotonic()
        ws_tasks = [asyncio.create_task(c.run()) for c in self.ws]
        await asyncio.wait_for(asyncio.gather(*(c.connected.wait() for c in self.ws)), 60)
        side = [asyncio.create_task(self.searches()), asyncio.create_task(self.sampler())]
        deadline = self.started + self.seconds
        running: set[asyncio.Task[None]] = set()
        while time.monotonic() < deadline:
            while len(running) < self.o.concurrency and time.monotonic() < deadline:
                running.add(asyncio.create_task(self.soak_life(self.lives_started)))
                self.lives_started += 1
            _, running = await asyncio.wait(running, timeout=max(0.1, deadline - time.monotonic()),
                                               return_when=asyncio.FIRST_COMPLETED)
        if running:
            await asyncio.gather(*running)
        self.samples.append(await asyncio.to_thread(self.sample))
        self.search_stop = True
        await asyncio.gather(*side)
        await self.close_clients(ws_tasks)


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def outbox_lag(database_url: str) -> tuple[float, int]:
    """Seconds the oldest due job has waited, and how many jobs are due."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(run_after)), 0), count(*) FROM core_outboxjob "
            "WHERE status IN ('pending', 'running') AND run_after <= now()").fetchone()
    assert row is not None
    return round(float(row[0]), 2), int(row[1])
