"""The cluster test's load: ticket lives through nginx, websocket clients, Telegram replies, searches, and the
kills in the middle. Everything is bounded by time-outs; results are counted in `Tally`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from .stack import PASSWORD, Stack, log


@dataclass
class Tally:
    tickets_done: int = 0
    tickets_failed: list[str] = field(default_factory=list)
    filed: int = 0
    http_retries: int = 0
    server_errors: list[str] = field(default_factory=list)
    searches_ok: int = 0
    searches_failed: int = 0
    direct_searches_ok: int = 0
    direct_searches_failed: int = 0
    recovery: dict[str, float] = field(default_factory=dict)
    ws_reconnects: int = 0
    ws_reconnect_max: float = 0.0
    errors: list[str] = field(default_factory=list)


class Api:
    """An account's HTTP client through nginx; retries what a dying web process cut off (same Idempotency-Key)."""

    def __init__(self, base: str, token: str, tally: Tally) -> None:
        self.client = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Token {token}"}, timeout=30)
        self.tally = tally

    async def call(self, method: str, url: str, *, json_body: Any = None, key: str = "",
                   ok: tuple[int, ...] = (200, 201), attempts: int = 8) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        last = ""
        for attempt in range(attempts):
            try:
                response = await self.client.request(method, url, json=json_body, headers=headers)
                if response.status_code in ok:
                    return response
                last = f"{response.status_code} {response.text[:200]}"
                if response.status_code == 500:
                    # A bug (e.g. a database deadlock): counted, and fails the run unless tolerated; retried with
                    # the same Idempotency-Key, as a person pressing again would, so the rest can be checked.
                    self.tally.server_errors.append(f"{method} {url} {response.headers.get('x-request-id', '')}")
                elif response.status_code not in (502, 503, 504):
                    if attempt and response.status_code == 409:
                        return response  # the first try went through before the connection broke
                    raise RuntimeError(f"{method} {url}: {last}")
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            self.tally.http_retries += 1
            await asyncio.sleep(min(0.2 * 2**attempt, 3))
        raise RuntimeError(f"{method} {url}: gave up after {attempts} attempts ({last})")

    async def close(self) -> None:
        await self.client.aclose()


async def token_for(base: str, username: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for _ in range(20):
            response = await client.post("/api/v1/auth/token/", json={"username": username, "password": PASSWORD})
            if response.status_code == 200:
                return str(response.json()["token"])
            await asyncio.sleep(0.5)
    raise RuntimeError(f"no token for {username}: {response.status_code} {response.text[:200]}")


class WsClient:
    """A volunteer's websocket through nginx. Reconnects with a fresh key and resumes every stream from the last
    event it saw; counts events, gaps, duplicates, reloads."""

    def __init__(self, name: str, api: Api, ws_base: str, tally: Tally) -> None:
        self.name, self.api, self.ws_base, self.tally = name, api, ws_base, tally
        self.last: dict[str, int] = {}
        self.events = 0
        self.gaps = 0
        self.duplicates = 0
        self.reloads: list[str] = []
        self.errors: list[str] = []
        self.ws: Any = None
        self.subscribed: set[str] = set()
        self.stopping = False
        self.connected = asyncio.Event()

    async def add(self, stream: str) -> None:
        self.last.setdefault(stream, 0)
        await self._subscribe(stream)

    async def _subscribe(self, stream: str) -> None:
        ws = self.ws
        if ws is None or stream in self.subscribed:
            return
        self.subscribed.add(stream)
        frame = {"action": "subscribe", "stream": stream, "last_event_id": str(self.last[stream])}
        with contextlib.suppress(websockets.ConnectionClosed):  # the reader reconnects and subscribes again
            await ws.send(json.dumps(frame))

    async def run(self) -> None:
        dropped_at: float | None = None
        while not self.stopping:
            try:
                key = (await self.api.call("POST", "/api/v1/realtime/ticket/", json_body={})).json()["ticket"]
                async with websockets.connect(f"{self.ws_base}/ws/?ticket={key}", open_timeout=10,
                                              ping_interval=5, ping_timeout=10, max_size=2**22) as ws:
                    self.ws, self.subscribed = ws, set()
                    for stream in list(self.last):
                        await self._subscribe(stream)
                    if dropped_at is not None:
                        took = time.monotonic() - dropped_at
                        self.tally.ws_reconnects += 1
                        self.tally.ws_reconnect_max = max(self.tally.ws_reconnect_max, took)
                        dropped_at = None
                    self.connected.set()
                    async for raw in ws:
                        self.on_frame(json.loads(raw))
            except (TimeoutError, OSError, websockets.WebSocketException, RuntimeError) as exc:
                if self.stopping:
                    break
                if dropped_at is None:
                    dropped_at = time.monotonic()
                    log(f"{self.name}: websocket dropped ({type(exc).__name__}), reconnecting")
            self.ws = None
            self.connected.clear()
            if not self.stopping:
                if dropped_at is None:
                    dropped_at = time.monotonic()
                await asyncio.sleep(0.2)

    def on_frame(self, frame: dict[str, Any]) -> None:
        kind, stream = frame.get("type"), frame.get("stream")
        if kind in ("subscribed", "pong", "unsubscribed"):
            return
        if kind == "reload":
            self.reloads.append(str(stream))
            return
        if kind == "error":
            self.errors.append(f"{stream}: {frame.get('code')}")
            return
        event_id = str(frame.get("id", ""))
        if not stream or not event_id or "." in event_id:
            return  # presence frames are not logged events
        seq = int(event_id)
        last = self.last.get(stream, 0)
        if seq <= last:
            self.duplicates += 1
            return
        if seq != last + 1:
            self.gaps += seq - last - 1
        self.last[stream] = seq
        self.events += 1

    async def stop(self) -> None:
        self.stopping = True
        if self.ws is not None:
            await self.ws.close()


@dataclass
class Options:
    tickets: int = 40
    concurrency: int = 8
    operators: int = 8
    volunteers: int = 4
    ws_clients: int = 4
    search_interval: float = 0.5
    search_outage: float = 8.0
    life_timeout: float = 180.0


class Driver:
    def __init__(self, stack: Stack, options: Options) -> None:
        self.stack, self.o = stack, options
        self.tally = Tally()
        self.ops: list[Api] = []
        self.vols: list[Api] = []
        self.ws: list[WsClient] = []
        self.tickets: dict[int, dict[str, Any]] = {}  # index -> {"id", "number"}
        self.filed = asyncio.Event()
        self.run_id = f"{int(time.time())}"
        self.chaos_done = asyncio.Event()
        self.search_stop = False
        self.search_node_down = False

    async def setup(self) -> None:
        base = self.stack.base
        world = self.stack.world
        self.ops = [Api(base, await token_for(base, u), self.tally) for u in world["operators"]]
        self.vols = [Api(base, await token_for(base, u), self.tally) for u in world["volunteers"]]
        ws_base = base.replace("http://", "ws://")
        self.ws = [WsClient(f"ws{n + 1}", self.vols[n % len(self.vols)], ws_base, self.tally)
                   for n in range(self.o.ws_clients)]
        for client in self.ws:
            client.last[f"queue:{world['forum']}"] = 0

    # ----- one ticket's life ------------------------------------------------------------------------------
    async def life(self, i: int, gate: asyncio.Semaphore) -> None:
        async with gate:
            try:
                await asyncio.wait_for(self._life(i), self.o.life_timeout)
                self.tally.tickets_done += 1
            except Exception as exc:
                self.tally.tickets_failed.append(f"ticket {i}: {type(exc).__name__}: {exc}")

    async def _life(self, i: int) -> None:
        op = self.ops[i % len(self.ops)]
        vn = i % len(self.vols)
        vol = self.vols[vn]
        tag = f"c{i}"
        created = (await op.call("POST", "/api/v1/tickets/", key=f"{self.run_id}-{tag}-file", json_body={
            "title": f"Gagal impor data penduduk [{tag}]",
            "description": f"Impor berhenti di baris {i}. [{tag}-d]",
            "category": "kependudukan", "hosting": "vps",
            "visibility": "public" if i % 2 else "private",
        })).json()
        tid, number = created["id"], created["number"]
        self.tickets[i] = {"id": tid, "number": number}
        self.tally.filed += 1
        await self.ws[i % len(self.ws)].add(f"ticket:{tid}")
        await vol.call("POST", f"/api/v1/tickets/{tid}/claim/", json_body={})
        await vol.call("POST", f"/api/v1/tickets/{tid}/messages/", key=f"{self.run_id}-{tag}-m1",
                       json_body={"body": f"Versi OpenSID berapa? [{tag}-m1]"})
        await op.call("POST", f"/api/v1/tickets/{tid}/messages/", key=f"{self.run_id}-{tag}-m2",
                      json_body={"body": f"Versi 2410.0, hosting VPS. [{tag}-m2]"})
        # The volunteer answers in the Telegram group, replying to the bot's post of the ticket.
        root = await self.wait_telegram_post(number)
        await asyncio.to_thread(self.stack.fake.user_sends, chat_id=self.stack.group,
                                user_id=self.stack.volunteer_tg[vn], reply_to=root,
                                text=f"Potong kolom nama jadi 100 karakter lalu impor ulang. [{tag}-m3]")
        await self.wait_message(vol, tid, f"[{tag}-m3]")
        await op.call("POST", f"/api/v1/tickets/{tid}/messages/", key=f"{self.run_id}-{tag}-m4",
                      json_body={"body": f"Berhasil, terima kasih. [{tag}-m4]"})
        await vol.call("POST", f"/api/v1/tickets/{tid}/resolve/", json_body={})
        detail = (await vol.call("GET", f"/api/v1/tickets/{tid}/")).json()
        if detail["status"] != "selesai":
            raise RuntimeError(f"ticket {number} ended as {detail['status']}")

    async def wait_telegram_post(self, number: str, timeout: float = 90) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = await asyncio.to_thread(self.stack.fake.bot_messages, chat_id=self.stack.group)
            for message in messages:
                if number in (message.get("text") or "") and "reply_to_message" not in message:
                    return int(message["message_id"])
            await asyncio.sleep(0.5)
        raise TimeoutError(f"the bot never posted {number} in the group")

    async def wait_message(self, api: Api, tid: int, marker: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            detail = (await api.call("GET", f"/api/v1/tickets/{tid}/")).json()
            if any(marker in (m.get("body") or "") for m in detail.get("messages", [])):
                return
            await asyncio.sleep(0.5)
        raise TimeoutError(f"{marker} from Telegram never reached ticket {tid}")

    # ----- searches ---------------------------------------------------------------------------------------
    async def searches(self) -> None:
        queries = ["impor penduduk", "layanan mandiri", "cetak surat", "opendk", "backup database"]
        async with httpx.AsyncClient(base_url=self.stack.base, timeout=10) as client, \
                httpx.AsyncClient(timeout=5) as direct:
            n = 0
            while not self.search_stop:
                q = queries[n % len(queries)]
                n += 1
                try:
                    response = await client.get("/api/v1/kb/search/", params={"q": q, "limit": 5})
                    if response.status_code == 200 and response.json()["results"]:
                        self.tally.searches_ok += 1
                    else:
                        self.tally.searches_failed += 1
                except httpx.HTTPError:
                    self.tally.searches_failed += 1
                if self.stack.node_count and n % 2 == 0:
                    # The engine itself, on the surviving node: must answer while the other node is down.
                    try:
                        url = f"http://127.0.0.1:{self.stack.search_http[0]}/{self.stack.prefix}*/_search"
                        response = await direct.post(url, json={"query": {"match": {"title": q}}, "size": 3})
                        body = response.json()
                        good = response.status_code == 200 and body["hits"]["total"]["value"] > 0 and \
                            not body["_shards"].get("failed")
                        if good:
                            self.tally.direct_searches_ok += 1
                        else:
                            self.tally.direct_searches_failed += 1
                            self.tally.errors.append(f"engine search failed (node down={self.search_node_down}): "
                                                     f"{response.status_code} {str(body)[:200]}")
                    except (httpx.HTTPError, KeyError, ValueError) as exc:
                        self.tally.direct_searches_failed += 1
                        self.tally.errors.append(f"engine search error: {exc}")
                await asyncio.sleep(self.o.search_interval)

    # ----- the kills --------------------------------------------------------------------------------------
    async def wait_filed(self, share: float) -> None:
        while self.tally.filed < max(1, int(self.o.tickets * share)):
            await asyncio.sleep(0.2)

    async def chaos(self) -> None:
        from helpdesk.core.models import WorkerHeartbeat

        stack = self.stack
        try:
            await self.wait_filed(0.25)
            web = stack.procs["web1"]
            log(f"SIGKILL web1 (pid {web.pid})")
            t0 = time.monotonic()
            web.kill()
            await asyncio.sleep(1.0)  # systemd: RestartSec
            stack.web(0)
            await asyncio.to_thread(self._wait, lambda: stack.web_healthy(0), 90, "web1 after the kill")
            self.tally.recovery["web"] = time.monotonic() - t0

            await self.wait_filed(0.5)
            worker = stack.procs["worker1"]
            log(f"SIGKILL worker1 (pid {worker.pid})")
            t0 = time.monotonic()
            worker.kill()
            await asyncio.sleep(1.0)
            new = stack.worker(0)
            await asyncio.to_thread(self._wait, lambda: WorkerHeartbeat.objects.filter(pid=new.pid).exists(), 90,
                                    "worker1's heartbeat after the kill")
            self.tally.recovery["worker"] = time.monotonic() - t0

            if stack.node_count > 1:
                await self.wait_filed(0.65)
                node = stack.procs[f"search{stack.node_count}"]
                log(f"SIGKILL search node {stack.node_count} (pid {node.pid}); down for {self.o.search_outage:.0f}s")
                t0 = time.monotonic()
                node.kill()
                self.search_node_down = True
                await asyncio.sleep(self.o.search_outage)
                stack.search_node(stack.node_count - 1)
                await asyncio.to_thread(self._wait, stack.search_green, 300, "the search cluster back to green", 0.5)
                self.search_node_down = False
                self.tally.recovery["search-node"] = time.monotonic() - t0
        except Exception as exc:
            self.tally.errors.append(f"chaos: {type(exc).__name__}: {exc}")
        finally:
            self.chaos_done.set()

    @staticmethod
    def _wait(check, timeout: float, what: str, interval: float = 0.1) -> None:  # type: ignore[no-untyped-def]
        from django.db import close_old_connections

        from .procs import wait_for

        def guarded() -> bool:
            close_old_connections()
            return bool(check())

        wait_for(guarded, timeout, what, interval)

    # ----- the run ----------------------------------------------------------------------------------------
    async def run(self) -> None:
        await self.setup()
        ws_tasks = [asyncio.create_task(c.run()) for c in self.ws]
        await asyncio.wait_for(asyncio.gather(*(c.connected.wait() for c in self.ws)), 60)
        search_task = asyncio.create_task(self.searches())
        chaos_task = asyncio.create_task(self.chaos())
        gate = asyncio.Semaphore(self.o.concurrency)
        order = list(range(self.o.tickets))
        random.Random(7).shuffle(order)
        lives = [asyncio.create_task(self.life(i, gate)) for i in sorted(order)]
        await asyncio.gather(*lives)
        log(f"lives done: {self.tally.tickets_done}/{self.o.tickets}")
        try:
            await asyncio.wait_for(chaos_task, 360)
        except TimeoutError:
            self.tally.errors.append("chaos did not finish")
        self.search_stop = True
        await search_task
        await self.close_clients(ws_tasks)

    async def close_clients(self, ws_tasks: list[asyncio.Task[Any]]) -> None:
        """After the load: let the websocket clients receive what is still on its way, then close every client."""
        await self.settle_ws()
        for client in self.ws:
            await client.stop()
        for task in ws_tasks:
            task.cancel()
        await asyncio.gather(*ws_tasks, return_exceptions=True)
        for api in self.ops + self.vols:
            await api.close()

    async def settle_ws(self, timeout: float = 60) -> None:
        """Wait until every client has seen every stream up to its head in the event log."""
        from helpdesk.realtime.models import StreamHead

        def heads() -> dict[str, int]:
            from django.db import close_old_connections

            close_old_connections()
            return dict(StreamHead.objects.values_list("stream", "seq"))

        deadline = time.monotonic() + timeout
        while True:
            head = await asyncio.to_thread(heads)
            behind = [(c.name, s, seen, head.get(s, 0)) for c in self.ws for s, seen in c.last.items()
                      if seen < head.get(s, 0)]
            if not behind:
                self.ws_heads = head
                return
            if time.monotonic() > deadline:
                self.tally.errors.append(f"websockets behind the event log: {behind[:5]} ({len(behind)} streams)")
                self.ws_heads = head
                return
            await asyncio.sleep(0.5)
