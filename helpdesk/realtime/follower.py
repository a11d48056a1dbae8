"""Embedded default: each ASGI process follows the event log and hands new events to its own consumers.

The in-memory channel layer reaches only the process it lives in, but the worker and the Telegram bridge are
other processes. So the ASGI process reads the log table itself: one background task per event loop, started
by the first websocket connection, polling every REALTIME_POLL_SECONDS (and at once when this process
published something). It reads by the log's global id in a thread of its own, with its own connection.

Ids are handed out at INSERT but become visible at COMMIT, so on PostgreSQL id 11 may be seen before id 10.
The follower remembers such holes and looks for them again for REALTIME_HOLE_SECONDS; consumers also notice
a gap in a stream's dense sequence and read the missing events themselves, so order per stream is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import close_old_connections, connection
from django.db.models import Max, Q

from . import conf, hub
from .models import StreamEvent
from .wire import wire

log = logging.getLogger(__name__)

BATCH = 500
MAX_HOLES = 10_000
# Transactions in flight hold ids just below the newest one; a longer run of missing ids is rolled-back or
# purged history (or ids burnt before the follower started), not worth waiting for.
MAX_GAP = 200


class LogFollower:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.wake = asyncio.Event()
        self.top = 0  # the highest log id seen
        self.holes: dict[int, float] = {}  # ids below `top` not seen yet -> when first missed
        self.delivered = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="realtime-follower")
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = self.loop.create_task(self._run(), name="realtime-log-follower")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.loop.run_in_executor(self._executor, _close_connection)
        self._executor.shutdown(wait=False)

    async def _run(self) -> None:
        while True:
            try:
                self.top = await self.loop.run_in_executor(self._executor, _max_id)
                break
            except Exception:
                log.exception("realtime: cannot read the event log; retrying")
                await self.loop.run_in_executor(self._executor, _close_connection)
                await asyncio.sleep(1)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=conf.get("REALTIME_POLL_SECONDS"))
            self.wake.clear()
            while True:
                try:
                    events, full = await self.loop.run_in_executor(self._executor, self.fetch)
                except Exception:
                    log.exception("realtime: reading the event log failed")
                    await self.loop.run_in_executor(self._executor, _close_connection)
                    await asyncio.sleep(1)
                    break
                deliver(self.loop, events)
                self.delivered += len(events)
                if not full:
                    break

    def fetch(self) -> tuple[list[dict[str, Any]], bool]:
        """New events since the last call (and holes that filled), in id order; runs in the follower's thread."""
        now = time.monotonic()
        condition = Q(id__gt=self.top)
        if self.holes:
            condition |= Q(id__in=list(self.holes))
        rows = list(StreamEvent.objects.filter(condition).order_by("id")[:BATCH])
        events = []
        for row in rows:
            if row.pk > self.top:
                if len(self.holes) < MAX_HOLES:
                    for missing in range(max(self.top + 1, row.pk - MAX_GAP), row.pk):
                        self.holes[missing] = now
                self.top = row.pk
            else:
                self.holes.pop(row.pk, None)
            events.append(wire(row))
        give_up = now - conf.get("REALTIME_HOLE_SECONDS")
        for hole, since in list(self.holes.items()):
            if since < give_up:
                del self.holes[hole]
        return events, len(rows) == BATCH


def deliver(loop: asyncio.AbstractEventLoop, events: list[dict[str, Any]]) -> None:
    """Hand events to this process's connections (the hub fans out; each connection's inbox is bounded)."""
    found = hub.current(loop)
    if found is None:
        return
    for event in events:
        found.dispatch({"type": "realtime.event", "event": event})


def _max_id() -> int:
    return int(StreamEvent.objects.aggregate(m=Max("id"))["m"] or 0)


def _close_connection() -> None:
    close_old_connections()
    connection.close()


_followers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LogFollower] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def ensure_started() -> LogFollower | None:
    """Start this event loop's follower if the deployment needs one (called on every websocket connect)."""
    if not conf.follows_log():
        return None
    loop = asyncio.get_running_loop()
    with _lock:
        found = _followers.get(loop)
        if found is None:
            found = _followers[loop] = LogFollower(loop)
            found.start()
    return found


def nudge() -> None:
    """Wake every follower of this process now (thread-safe: called after commit from request threads)."""
    with _lock:
        followers = list(_followers.values())
    for f in followers:
        if not f.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                f.loop.call_soon_threadsafe(f.wake.set)


async def stop_all() -> None:
    """Stop the followers of the running loop (tests; server shutdown)."""
    loop = asyncio.get_running_loop()
    with _lock:
        found = _followers.pop(loop, None)
    if found is not None:
        await found.stop()
