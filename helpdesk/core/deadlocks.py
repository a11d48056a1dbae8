"""Run a transaction again when PostgreSQL aborted it for a deadlock or a serialization failure.

PostgreSQL resolves a deadlock by aborting one of the transactions involved; the documented answer is to run that
transaction again. Hot rows make it rare but real here: the realtime stream heads (`realtime_streamhead`) and the
search index's term counters (`search_term`) are taken in the order the listeners of a change run, which is not
the same for filing a ticket and for replying to a public question.

Only the outermost transaction may be run again: inside an atomic block the whole outer transaction is already
aborted, so the error goes up to whoever opened it. Everything the callable did in its transaction was rolled
back (outbox rows, realtime events, on_commit callbacks), so a second run writes everything exactly once.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection

log = logging.getLogger(__name__)

# SQLSTATE deadlock_detected and serialization_failure.
RETRYABLE = frozenset({"40P01", "40001"})
ATTEMPTS = 3

P = ParamSpec("P")
T = TypeVar("T")


def is_retryable(exc: BaseException) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) in RETRYABLE


def run(fn: Callable[[], T], *, before_retry: Callable[[], None] | None = None) -> T:
    """`fn()`, run again (up to ATTEMPTS times in all) when its transaction was chosen as a deadlock victim."""
    if connection.in_atomic_block:
        return fn()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return fn()
        except OperationalError as exc:
            if attempt == ATTEMPTS or not is_retryable(exc):
                raise
            log.warning("transaction aborted by the database (%s); running it again (attempt %d of %d)",
                        getattr(exc.__cause__, "sqlstate", "?"), attempt + 1, ATTEMPTS)
            time.sleep(random.uniform(0.005, 0.05) * attempt)
            if before_retry is not None:
                before_retry()
    raise AssertionError("unreachable")


def retrying(fn: Callable[P, T]) -> Callable[P, T]:
    """Decorate a service whose atomic block is its whole effect (see `run`)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return run(lambda: fn(*args, **kwargs))

    return wrapper
