"""The process's switchboard: which local connections follow which stream, and one way in for events.

One hub per event loop (an ASGI process). Connections register their subscriptions here; the hub, not each
connection, is what the channel layer knows about:

- Redis: the hub owns one channel and joins a stream's group when its first local subscriber arrives, so a
  `group_send` costs one Redis message per ASGI process, not one per browser tab. Its relay task hands each
  message to the local subscribers. A Redis outage stops the relay, not the connections: they stay open and
  read what they missed from the log when events flow again.
- In memory (the embedded default): the log follower hands events straight to the hub.

Each connection has a bounded inbox. A connection that can't keep up loses messages from its inbox, not the
server's memory; it remembers how far each stream got and reads the rest from the log once it has caught up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import weakref
from typing import Any, Protocol

from channels.layers import get_channel_layer

from . import conf, db, streams
from . import log as event_log
from .wire import frame

log = logging.getLogger(__name__)

REFRESH_GROUPS_SECONDS = 3600.0  # channels_redis forgets group members after a day
RETRY_SECONDS = 2.0


class Subscriber(Protocol):
    def offer(self, message: dict[str, Any]) -> None: ...


class Hub:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.local = conf.follows_log()
        self.layer = None if self.local else get_channel_layer()
        self.members: dict[str, set[Subscriber]] = {}
        self.joined: set[str] = set()  # streams whose group our relay channel is in
        self.relay = ""
        self.lock = asyncio.Lock()
        self.ready = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        if self.layer is not None:
            self.relay = await self.layer.new_channel("rt-hub.")
            self.tasks.append(self.loop.create_task(self._relay(), name="realtime-hub-relay"))
            self.tasks.append(self.loop.create_task(self._keep_groups(), name="realtime-hub-groups"))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    # --- membership --------------------------------------------------------------------------------------

    async def join(self, stream: str, who: Subscriber) -> None:
        async with self.lock:
            self.members.setdefault(stream, set()).add(who)
            if self.layer is not None and stream not in self.joined:
                await self._group_add(stream)

    async def leave(self, stream: str, who: Subscriber) -> None:
        async with self.lock:
            members = self.members.get(stream)
            if members is None:
                return
            members.discard(who)
            if members:
                return
            del self.members[stream]
            if self.layer is not None and stream in self.joined:
                self.joined.discard(stream)
                try:
                    await self.layer.group_discard(streams.group(stream), self.relay)
                except Exception as exc:
                    log.warning("realtime: leaving %s failed: %s", stream, exc)

    async def _group_add(self, stream: str) -> bool:
        assert self.layer is not None
        try:
            await asyncio.wait_for(self.layer.group_add(streams.group(stream), self.relay), RETRY_SECONDS)
            self.joined.add(stream)
            return True
        except Exception as exc:  # Redis down: the keeper retries; the log covers the meantime
            log.warning("realtime: joining %s failed (%s); retrying", stream, exc)
            return False

    async def _keep_groups(self) -> None:
        since_refresh = 0.0
        while True:
            await asyncio.sleep(RETRY_SECONDS)
            since_refresh += RETRY_SECONDS
            refresh = since_refresh >= REFRESH_GROUPS_SECONDS
            rejoined = []
            async with self.lock:
                for stream in list(self.members):
                    missing = stream not in self.joined
                    if (refresh or missing) and await self._group_add(stream) and missing:
                        rejoined.append(stream)
            if refresh:
                since_refresh = 0.0
            await self._hint_heads(rejoined)

    async def _hint_heads(self, rejoined: list[str]) -> None:
        """After an outage, tell the local subscribers of each stream we joined again where its log ends.

        What was published while Redis was down never reached us; without this hint a connection would only
        notice the gap at the stream's next event, which may never come (a ticket that went quiet)."""
        for stream in rejoined:
            try:
                seq = await db.run(event_log.head, stream)
            except Exception as exc:  # the database is down too: the next event still fills the gap
                log.warning("realtime: head of %s unknown after rejoining (%s)", stream, exc)
                continue
            if seq:
                self.dispatch({"type": "realtime.head", "stream": stream, "seq": seq})

    # --- messages ------------------------------------------------------------------------------------------

    async def broadcast(self, stream: str, message: dict[str, Any]) -> None:
        """To every subscriber of `stream` in every process (presence)."""
        if self.layer is None:
            self.dispatch(message)
            return
        await self.layer.group_send(streams.group(stream), message)

    def dispatch(self, message: dict[str, Any]) -> None:
        """Hand a message to this process's subscribers of its stream (never blocks)."""
        event = message.get("event")
        stream = event["stream"] if event else message.get("stream")
        members = self.members.get(stream or "")
        if not members:
            return
        if event is not None and "text" not in message:
            # Encoded once for all; connections that filter the event by audience don't use it.
            message = {**message, "text": json.dumps(frame(event), ensure_ascii=False)}
        for who in list(members):
            who.offer(message)

    async def _relay(self) -> None:
        assert self.layer is not None
        while True:
            try:
                message = await self.layer.receive(self.relay)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("realtime: channel layer unavailable (%s); retrying", exc)
                await asyncio.sleep(RETRY_SECONDS)
                async with self.lock:
                    self.joined.clear()  # join again once it is back (its group state may be gone)
                continue
            try:
                self.dispatch(message)
            except Exception:
                log.exception("realtime: dispatching %s failed", message.get("type"))


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


async def get() -> Hub:
    """This event loop's hub, started on first use."""
    loop = asyncio.get_running_loop()
    with _lock:
        hub = _hubs.get(loop)
        fresh = hub is None
        if hub is None:
            hub = _hubs[loop] = Hub(loop)
    if fresh:
        try:
            await hub.start()
        finally:
            hub.ready.set()
    else:
        await hub.ready.wait()
    return hub


def current(loop: asyncio.AbstractEventLoop) -> Hub | None:
    with _lock:
        return _hubs.get(loop)


async def stop_all() -> None:
    loop = asyncio.get_running_loop()
    with _lock:
        hub = _hubs.pop(loop, None)
    if hub is not None:
        await hub.stop()
