from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from helpdesk.asgi import application
from helpdesk.realtime import db as realtime_db
from helpdesk.realtime import follower, hub
from tests.tickets.conftest import World, world  # noqa: F401 - the shared fixture

db = database_sync_to_async
TIMEOUT = 5.0


@pytest_asyncio.fixture
async def live() -> AsyncIterator[None]:
    """Each test's event loop gets its own hub, log follower and a clean in-memory layer."""
    yield
    await follower.stop_all()
    await hub.stop_all()
    await realtime_db.close()
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        await layer.flush()


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def open_ws(user: Any = None, *, path: str = "/ws/", headers: list[tuple[bytes, bytes]] | None = None) -> WebsocketCommunicator:
    all_headers = list(headers or [])
    if user is not None:
        all_headers.append((b"cookie", (await db(session_cookie)(user)).encode()))
    comm = WebsocketCommunicator(application, path, headers=all_headers)
    connected, _ = await comm.connect(timeout=TIMEOUT)
    assert connected
    return comm


async def next_frame(comm: WebsocketCommunicator, type: str | None = None, *, skip: tuple[str, ...] = ("presence.changed",),
                     timeout: float = TIMEOUT) -> dict[str, Any]:
    """The next frame of `type` (frames of other types in between fail the test, except `skip`)."""
    while True:
        got = await comm.receive_json_from(timeout=timeout)
        if type is None or got.get("type") == type:
            return got
        assert got.get("type") in skip, f"expected {type}, got {got}"


async def subscribe(comm: WebsocketCommunicator, stream: str, last_event_id: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"action": "subscribe", "stream": stream}
    if last_event_id is not None:
        frame["last_event_id"] = last_event_id
    await comm.send_json_to(frame)
    answer = await next_frame(comm)
    assert answer["type"] == "subscribed" and answer["stream"] == stream, answer
    return answer


async def refused(comm: WebsocketCommunicator, stream: str) -> dict[str, Any]:
    await comm.send_json_to({"action": "subscribe", "stream": stream})
    answer = await next_frame(comm)
    assert answer["type"] == "error" and answer["stream"] == stream, answer
    return answer
