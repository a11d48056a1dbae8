"""After commit: get a logged event to the websocket consumers, without ever failing the request.

- In-memory channel layer (the embedded default): the ASGI process's log follower (follower.py) delivers it.
  Here we only wake the follower of this process, if there is one, so that events made by a web request
  reach its own process's clients at once instead of at the next poll.
- Redis channel layer: `group_send` to the stream's group reaches consumers in every ASGI process. Sends go
  through one background thread with its own event loop, in order, each bounded by a timeout, so a slow or
  dead Redis never blocks or breaks the request; what it drops, clients get from the log when they resume.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading
import time
from typing import Any

from channels.layers import get_channel_layer

from . import conf, follower, streams

log = logging.getLogger(__name__)

QUIET_SECONDS = 0.5
# A stream that got this many events without a pause gets a `realtime.head` hint when it goes quiet: an
# ASGI process whose relay channel overflowed in the burst learns where the stream ended.
BURST = 20


def after_commit(events: list[dict[str, Any]]) -> None:
    """The events one transaction logged, once it committed: handed to the publisher in one call (a new ticket
    logs one for the queue and one for each volunteer notified)."""
    if conf.follows_log():
        follower.nudge()
        return
    publisher().submit([(streams.group(e["stream"]), {"type": "realtime.event", "event": e}) for e in events])


class Publisher:
    """A daemon thread that owns an event loop and sends group messages in the order they were submitted."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] | None = None
        self._pending = 0
        self._lock = threading.Lock()
        self._last_error_log = 0.0
        self.failures = 0
        self._thread = threading.Thread(target=self._main, name="realtime-publisher", daemon=True)
        self._thread.start()
        self._ready.wait(5)

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._queue = asyncio.Queue()
        self._ready.set()
        loop.run_until_complete(self._run())

    async def _run(self) -> None:
        assert self._queue is not None
        # Streams that had a burst: once they go quiet, connections get a head hint (see BURST).
        burst: dict[str, list[int]] = {}
        while True:
            try:
                group, message = await asyncio.wait_for(self._queue.get(), timeout=QUIET_SECONDS if burst else None)
            except TimeoutError:
                for stream, (count, seq) in burst.items():
                    if count >= BURST:
                        await self._send(streams.group(stream), {"type": "realtime.head", "stream": stream, "seq": seq})
                burst.clear()
                continue
            try:
                await self._send(group, message)
                event = message.get("event")
                if event:
                    seen = burst.setdefault(event["stream"], [0, 0])
                    seen[0], seen[1] = seen[0] + 1, event["seq"]
            finally:
                with self._lock:
                    self._pending -= 1

    async def _send(self, group: str, message: dict[str, Any]) -> None:
        try:
            layer = get_channel_layer()
            if layer is not None:
                await asyncio.wait_for(
                    layer.group_send(group, message), timeout=conf.get("REALTIME_PUBLISH_TIMEOUT_SECONDS")
                )
        except Exception as exc:
            self.failures += 1
            now = time.monotonic()
            if now - self._last_error_log > 10:
                self._last_error_log = now
                log.warning("realtime: fan-out to %s failed (%s); clients will resume from the log", group, exc)

    def submit(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        """Queue (group, message) pairs, sent in this order; one wake-up of the loop for all of them."""
        loop, queue = self._loop, self._queue
        if loop is None or queue is None or loop.is_closed() or not messages:
            return
        with self._lock:
            room = max(conf.get_int("REALTIME_PUBLISH_QUEUE") - self._pending, 0)
            if room < len(messages):
                self.failures += len(messages) - room
                messages = messages[:room]  # Redis is far behind or gone: the log keeps the rest
            self._pending += len(messages)
        if messages:
            loop.call_soon_threadsafe(_put_all, queue, messages)

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until everything submitted was sent (or given up); True when nothing is left."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._pending <= 0:
                    return True
            time.sleep(0.01)
        return False


def _put_all(queue: asyncio.Queue[tuple[str, dict[str, Any]]], messages: list[tuple[str, dict[str, Any]]]) -> None:
    for message in messages:
        queue.put_nowait(message)


_publisher: Publisher | None = None
_publisher_lock = threading.Lock()


def publisher() -> Publisher:
    global _publisher
    if _publisher is None:
        with _publisher_lock:
            if _publisher is None:
                _publisher = Publisher()
                # Short-lived processes (management commands) send what they published before exiting.
                atexit.register(_publisher.flush)
    return _publisher
