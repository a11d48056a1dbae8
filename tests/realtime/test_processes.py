"""Events from every process reach websocket clients of real daphne processes.

Embedded default (in-memory layer): a reply posted by another process (a management command, the worker) is
read from the event log by the ASGI process. With Redis: two daphne processes, an event made in one reaches a
client of the other. And a client that stops reading is dropped without hurting the others.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from helpdesk import realtime
from helpdesk.realtime import streams
from helpdesk.tickets import services
from helpdesk.tickets.models import Status, Ticket
from tests.conftest import AsgiServer
from tests.realtime.conftest import session_cookie
from tests.services import ROOT, free_port, manage, subprocess_env, wait_for
from tests.tickets.conftest import World

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SETTINGS = "tests.realtime.subprocess_settings"


def ws_url(server: AsgiServer) -> str:
    return server.url.replace("http://", "ws://") + "/ws/"


async def frame_of(ws: ClientConnection, type: str, timeout: float = 10.0) -> dict[str, Any]:
    while True:
        got = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if got.get("type") == type:
            return got


async def subscribed(server: AsgiServer, cookie: str, stream: str) -> ClientConnection:
    ws = await connect(ws_url(server), additional_headers=[("Cookie", cookie)], max_size=None)
    await ws.send(json.dumps({"action": "subscribe", "stream": stream}))
    assert (await frame_of(ws, "subscribed"))["stream"] == stream
    return ws


@pytest.fixture
def daphne(transactional_db: Any, tmp_path: Path) -> Iterator[Callable[..., AsgiServer]]:
    """Start daphne processes on the test database with the realtime subprocess settings."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> AsgiServer:
        port = free_port()
        log = tmp_path / f"daphne-{port}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "helpdesk.asgi:application"],
            cwd=ROOT, env=subprocess_env(DJANGO_SETTINGS_MODULE=SETTINGS, **env),
            stdout=open(log, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"daphne exited early:\n{log.read_text()}")
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, timeout=30, what="daphne to answer /healthz")
        return AsgiServer(url, process, log)

    yield start
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_reply_posted_by_another_process_reaches_the_client(world: World, asgi_server: AsgiServer, tmp_path: Path) -> None:
    ticket = world.ticket()
    cookie = session_cookie(world.op_a)
    shell_code = (
        "from helpdesk.accounts.models import User; from helpdesk.tickets import services; "
        "from helpdesk.tickets.models import Ticket; "
        f"services.message_create(ticket=Ticket.objects.get(pk={ticket.pk}), "
        f"author=User.objects.get(pk={world.vol_lotim.pk}), body='Dari proses lain: sudah saya cek.', channel='telegram')"
    )

    async def scenario() -> dict[str, Any]:
        ws = await subscribed(asgi_server, cookie, f"ticket:{ticket.pk}")
        process = await asyncio.to_thread(manage, "shell", "-c", shell_code, log=tmp_path / "shell.log")
        assert await asyncio.to_thread(process.wait, 60) == 0, (tmp_path / "shell.log").read_text()
        got = await frame_of(ws, "message.created")
        await ws.close()
        return got

    got = asyncio.run(scenario())
    assert got["data"]["body"] == "Dari proses lain: sudah saya cek." and got["data"]["source"] == "telegram"


def test_a_change_made_by_the_worker_reaches_the_client(world: World, asgi_server: AsgiServer, tmp_path: Path) -> None:
    ticket = world.ticket()
    services.ticket_claim(ticket=ticket, actor=world.vol_lotim)
    services.ticket_resolve(ticket=ticket, actor=world.vol_lotim)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now() - timedelta(days=8))
    cookie = session_cookie(world.op_a)

    async def scenario() -> dict[str, Any]:
        ws = await subscribed(asgi_server, cookie, f"ticket:{ticket.pk}")
        worker = manage("run_worker", "--poll", "0.2", log=tmp_path / "worker.log")
        try:
            return await frame_of(ws, "ticket.updated", timeout=30)
        finally:
            worker.terminate()
            await asyncio.to_thread(worker.wait, 20)
            await ws.close()

    got = asyncio.run(scenario())
    assert got["data"]["status"] == Status.DITUTUP
    assert got["data"]["changes"]["status"] == {"old": Status.SELESAI, "new": Status.DITUTUP}


@pytest.mark.redis
def test_with_redis_an_event_made_in_one_asgi_process_reaches_a_client_of_another(
    world: World, redis_url: str, daphne: Callable[..., AsgiServer]
) -> None:
    env = {"HELPDESK_TEST_REALTIME_REDIS_URL": redis_url, "HELPDESK_TEST_REALTIME_PREFIX": f"t{uuid.uuid4().hex[:8]}"}
    one, two = daphne(**env), daphne(**env)
    ticket = world.ticket()
    operator_cookie = session_cookie(world.op_a)
    token = Token.objects.create(user=world.vol_lotim).key

    async def scenario() -> dict[str, Any]:
        ws = await subscribed(two, operator_cookie, f"ticket:{ticket.pk}")
        # The reply goes in through process one's API; the operator is connected to process two.
        response = await asyncio.to_thread(
            httpx.post, f"{one.url}/api/v1/tickets/{ticket.pk}/messages/",
            json={"body": "Lewat Redis ke proses lain."}, headers={"Authorization": f"Token {token}"},
        )
        assert response.status_code == 201, response.text
        got = await frame_of(ws, "message.created")
        await ws.close()
        return got

    got = asyncio.run(scenario())
    assert got["data"]["body"] == "Lewat Redis ke proses lain."


# --- a client that stops reading ------------------------------------------------------------------------------


def _handshake(port: int, cookie: str) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(
        (
            f"GET /ws/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nCookie: {cookie}\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def _send_text(sock: socket.socket, text: str) -> None:
    payload, mask = text.encode(), b"\x01\x02\x03\x04"
    header = bytes([0x81, 0x80 | len(payload)]) if len(payload) < 126 else bytes([0x81, 0xFE]) + struct.pack("!H", len(payload))
    sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def _tcp_state(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]


TCP_CLOSED_BY_PEER = {7, 8}  # TCP_CLOSE (reset), TCP_CLOSE_WAIT (FIN received)


def test_a_client_that_stops_reading_is_dropped_and_the_others_carry_on(
    world: World, daphne: Callable[..., AsgiServer]
) -> None:
    server = daphne(HELPDESK_TEST_REALTIME_SETTINGS=json.dumps({"REALTIME_SEND_BUFFER_BYTES": 256 * 1024}))
    port = int(server.url.rsplit(":", 1)[1])
    stream = streams.user_stream(world.op_a.pk)
    cookie = session_cookie(world.op_a)
    slow = _handshake(port, cookie)
    _send_text(slow, json.dumps({"action": "subscribe", "stream": stream}))
    count, text = 120, "x" * 30_000

    def publish_all() -> None:
        try:
            for n in range(count):
                realtime.publish(stream, "notification.created", {"n": n, "text": text})
        finally:
            connection.close()  # this thread's connection, or the test database can't be dropped

    async def healthy_client() -> int:
        ws = await subscribed(server, cookie, stream)
        await asyncio.to_thread(publish_all)
        received = 0
        while received < count:
            got = await frame_of(ws, "notification.created", timeout=20)
            assert got["data"]["n"] == received
            received += 1
        await ws.close()
        return received

    # ~3.6 MB for a client whose socket takes a few KB: the server lets it fall 256 KB behind, then drops it.
    assert asyncio.run(healthy_client()) == count
    wait_for(lambda: _tcp_state(slow) in TCP_CLOSED_BY_PEER, timeout=20, what="the server to drop the slow client")
    log = server.log.read_text()
    assert "Traceback" not in log, log
    slow.close()


def test_a_frame_over_the_limit_closes_with_4009_through_daphne_and_logs_no_error(world: World,
                                                                                 asgi_server: AsgiServer) -> None:
    cookie = session_cookie(world.op_a)

    async def scenario() -> tuple[list[str], int | None]:
        ws = await connect(ws_url(asgi_server), additional_headers=[("Cookie", cookie)], max_size=None)
        await ws.send('{"action": "ping", "pad": "' + "x" * 5000 + '"}')
        frames: list[str] = []
        try:
            while True:
                frames.append(str(await asyncio.wait_for(ws.recv(), 10)))
        except ConnectionClosed:
            pass
        return frames, ws.close_code

    frames, code = asyncio.run(scenario())
    assert [json.loads(f)["code"] for f in frames] == ["frame_too_large"]
    assert code == 4009
    log = asgi_server.log.read_text()
    assert "Traceback" not in log and " ERROR " not in log, log[-2000:]
