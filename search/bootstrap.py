"""The engine's index is made ready as the database is by `migrate`: created, or rebuilt for a new mapping version.

`ensure_index()` runs at start-up (`manage.py search_ensure`, called by `make run` and the deployment's start
scripts) and every few minutes in the worker, so an engine that was wiped or replaced also comes back without
anyone running `search_reindex`. Everything the database holds is copied in through the registered sources.

Several processes may start at once. The first one creates a lock index on the engine (index creation is atomic
across the cluster) and builds; the others wait until the alias points at a current index, or give up after a
while and leave the job to the next periodic run. Searches are answered by the database meanwhile.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from helpdesk.core import outbox
from helpdesk.core.scheduler import periodic

from .backends import get_backend
from .backends.engine import EngineBackend
from .backends.engine_client import EngineError, EngineRequestError
from .indexing import expected_total, reindex, wake_backlog

log = logging.getLogger(__name__)

# A build older than this is taken to have died with its process (a reindex of 1M entries takes minutes).
LOCK_STALE_SECONDS = 3600.0
POLL_SECONDS = 1.0
PROGRESS_EVERY = 5000

CURRENT = "current"
BUILT = "built"
WAITED = "waited"
BUSY = "busy"
DATABASE = "database"
ENSURE_JOB = "search.ensure_index"


def _lock_name(backend: EngineBackend) -> str:
    return f"{backend.alias}-bootstrap-lock"


def _take_lock(backend: EngineBackend) -> bool:
    body = {"settings": {"number_of_shards": 1, "number_of_replicas": 0}}
    try:
        backend.client.create_index(_lock_name(backend), body, timeout=backend.write_timeout)
    except EngineRequestError as exc:
        if exc.status == 400 and _break_stale_lock(backend):
            return _take_lock(backend)
        if exc.status == 400:
            return False
        raise
    return True


def _break_stale_lock(backend: EngineBackend) -> bool:
    try:
        found = backend.client.indices(_lock_name(backend), timeout=backend.write_timeout)
    except EngineError:
        return False
    data = found.get(_lock_name(backend)) or {}
    created_ms = int((data.get("settings") or {}).get("index", {}).get("creation_date", 0) or 0)
    if not created_ms or time.time() - created_ms / 1000 < LOCK_STALE_SECONDS:
        return False
    log.warning("search index build lock %s is stale; taking it over", _lock_name(backend))
    _release_lock(backend)
    return True


def _release_lock(backend: EngineBackend) -> None:
    try:
        backend.client.delete_index(_lock_name(backend), timeout=backend.write_timeout)
    except EngineError as exc:
        log.warning("search index build lock %s not removed: %s", _lock_name(backend), exc)


def _logging_progress(total: int | None) -> Callable[[int], None]:
    last = 0

    def report(done: int) -> None:
        nonlocal last
        if done - last >= PROGRESS_EVERY or (total is not None and done >= total):
            last = done
            log.info("search index build: %d of %s documents", done, total if total is not None else "?")

    return report


def ensure_index(*, wait_seconds: float = 300.0, progress: Callable[[int], None] | None = None) -> str:
    """Make the engine's index current; returns what happened (CURRENT, BUILT, WAITED, BUSY or DATABASE).

    Raises EngineError when the engine does not answer: the caller decides whether that stops it.
    """
    backend = get_backend()
    if not isinstance(backend, EngineBackend):
        return DATABASE
    deadline = time.monotonic() + wait_seconds
    while True:
        state = backend.index_state(fresh=True, timeout=backend.write_timeout)
        if state.ok:
            return CURRENT
        if _take_lock(backend):
            break
        if time.monotonic() >= deadline:
            log.info("search index is being built by another process; not waiting any longer")
            return BUSY
        time.sleep(POLL_SECONDS)
        if backend.index_state(fresh=True, timeout=backend.write_timeout).ok:
            return WAITED
    try:
        # Another process may have finished between our look and the lock.
        if backend.index_state(fresh=True, timeout=backend.write_timeout).ok:
            return CURRENT
        log.info("search index: %s; building it from the database", state.problem)
        total = expected_total()
        counts = reindex(progress=progress or _logging_progress(total), backend=backend)
        log.info("search index built: %s", ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "empty")
    finally:
        _release_lock(backend)
    wake_backlog()
    return BUILT


@outbox.handler(ENSURE_JOB, atomic=False, max_attempts=3)
def _ensure_index_job(payload: dict[str, Any], job: Any) -> None:
    # Not atomic: a build reads every source and talks to the engine for a while; it must not hold a write
    # transaction open (SQLite) meanwhile. The lock index keeps a second worker from building at once.
    try:
        ensure_index(wait_seconds=0)
    except EngineError as exc:
        # The engine is down: searches fall back, changes wait in the outbox; the next check tries again.
        log.warning("search index not checked: %s", exc)


@periodic("search.check_index", every=timedelta(minutes=2))
def _check_index() -> None:
    """A wiped or replaced engine comes back on its own: a build is queued when the alias has no current index."""
    backend = get_backend()
    if not isinstance(backend, EngineBackend):
        return
    try:
        if backend.index_state(fresh=True, timeout=2.0).ok:
            return
    except EngineError:
        return  # down: nothing to build on; the breaker and /readyz report it
    outbox.enqueue(ENSURE_JOB, {}, key=f"{ENSURE_JOB}:{int(time.time() // 120)}")
