"""Fixed-window rate limits shared by every process, for the web and the API alike.

One `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` per action (SQLite ≥ 3.35 and PostgreSQL both speak it),
so a limit costs one round trip on the hot path and is exact under concurrency.

`pending()` is for a hot path that reads the database anyway after its work (the knowledge-base search API
confirms its hits are still published): the caller sends the counting statement with its own query, in one round
trip, and `Pending.settle()` refuses over the limit. The work is then done before the refusal, so a caller
refused once in a window is refused at once, without the work or a round trip, for the rest of that window by
the same process (`_refused`): an abuser costs at most one piece of work per process and window.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection

from .errors import RateLimited
from .models import RateCounter

_TABLE = RateCounter._meta.db_table
# Adds one to a window's counter and returns the new count; parameters: key, expires_at.
COUNT_SQL = (f"INSERT INTO {_TABLE} (key, count, expires_at) VALUES (%s, 1, %s) "  # noqa: S608 - fixed table name
             f"ON CONFLICT (key) DO UPDATE SET count = {_TABLE}.count + 1 RETURNING count")
# Counter keys (with the limit they were refused under) refused in their window by this process.
_refused: set[str] = set()
_REFUSED_MAX = 10_000


def _window(scope: str, ident: str | int, window_seconds: int) -> tuple[str, datetime]:
    window = int(time.time() // window_seconds)
    return f"{scope}:{ident}:{window}", datetime.fromtimestamp((window + 1) * window_seconds, tz=UTC)


def seconds_left(window_seconds: int) -> int:
    """Seconds until the current fixed window of `hit` closes and its counters start again."""
    return max(1, math.ceil((int(time.time() // window_seconds) + 1) * window_seconds - time.time()))


def hit(scope: str, ident: str | int, *, limit: int, window_seconds: int) -> bool:
    """Count one action; True while `ident` stays within `limit` actions in the current window."""
    key, expires = _window(scope, ident, window_seconds)
    with connection.cursor() as cursor:
        cursor.execute(COUNT_SQL, [key, expires])
        row = cursor.fetchone()
    return bool(row and row[0] <= limit)


@dataclass(frozen=True)
class Pending:
    """One action to count with the caller's own query: send `COUNT_SQL` with `params`, then `settle(count)`."""

    key: str
    expires: datetime
    limit: int
    window_seconds: int

    @property
    def params(self) -> tuple[str, datetime]:
        return (self.key, self.expires)

    def settle(self, count: int | None) -> None:
        """Raises RateLimited when `count` (what COUNT_SQL returned) is over the limit."""
        if count is not None and count <= self.limit:
            return
        if len(_refused) >= _REFUSED_MAX:
            _refused.clear()  # keys of past windows never match again; this only bounds the memory
        _refused.add(f"{self.key}:{self.limit}")
        raise RateLimited(retry_after=seconds_left(self.window_seconds))


def forget_refusals(**_: object) -> None:
    """Forget this process's refusals: the limits changed (tests' settings), so the counters decide again."""
    _refused.clear()


setting_changed.connect(forget_refusals, dispatch_uid="ratelimit-forget-refusals")


def pending(scope: str, ident: str | int) -> Pending:
    """The action to count under `settings.RATE_LIMITS[scope]`; RateLimited at once when this process has already
    refused `ident` in the current window."""
    limit, window_seconds = settings.RATE_LIMITS[scope]
    key, expires = _window(scope, ident, window_seconds)
    if f"{key}:{limit}" in _refused:
        raise RateLimited(retry_after=seconds_left(window_seconds))
    return Pending(key, expires, limit, window_seconds)


def check(scope: str, ident: str | int) -> None:
    """Count one action under `settings.RATE_LIMITS[scope]`; RateLimited (retry after the window) when over."""
    limit, window = settings.RATE_LIMITS[scope]
    if not hit(scope, ident, limit=limit, window_seconds=window):
        raise RateLimited(retry_after=seconds_left(window))


def purge_expired() -> int:
    deleted, _ = RateCounter.objects.filter(expires_at__lt=datetime.now(tz=UTC) - timedelta(minutes=1)).delete()
    return deleted
