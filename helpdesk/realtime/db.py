"""Database calls of websocket connections: one thread per process that keeps its connection.

`database_sync_to_async` closes the connection after each call when CONN_MAX_AGE is 0 (the default here), so
every subscription check would open a new database connection. Connections are long-lived and ask the database
often (subscribing, audiences, gaps), so they share one thread whose connection stays open; a broken connection
is closed on error and opened again on the next call.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import DatabaseError, connection

T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="realtime-db")
        return _executor


def _call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return fn(*args, **kwargs)
    except DatabaseError:
        connection.close()
        raise


async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_pool(), functools.partial(_call, fn, *args, **kwargs))


def _close() -> None:
    connection.close()  # looked up in the worker thread: that thread's own connection


async def close() -> None:
    """Close the thread's connection (tests, before the test database is dropped)."""
    await run(_close)
