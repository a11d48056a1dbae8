"""Races for tests: start several calls at the same moment, each in a thread of its own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def run_together(calls: list[Callable[[], Any]], *, timeout: float = 60) -> list[Any]:
    """Run every call in its own thread, all released at once by a barrier. The result is one entry per call that
    finished: what it returned, or the exception it raised (the caller asserts which kinds are fine). Each thread
    closes its own database connection, so that a transactional test's database can be flushed and dropped."""
    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results: list[Any] = []
    lock = threading.Lock()

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            result: Any = call()
        except Exception as exc:
            result = exc
        finally:
            connection.close()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results
