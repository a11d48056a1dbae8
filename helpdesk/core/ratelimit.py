"""Fixed-window rate limits shared by every process, for the web and the API alike.

One `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` per action (SQLite ≥ 3.35 and PostgreSQL both speak it),
so a limit costs one round trip on the hot path and is exact under concurrency.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection

from .errors import RateLimited
from .models import RateCounter

_TABLE = RateCounter._meta.db_table


def hit(scope: str, ident: str | int, *, limit: int, window_seconds: int) -> bool:
    """Count one action; True while `ident` stays within `limit` actions in the current window."""
    window = int(time.time() // window_seconds)
    key = f"{scope}:{ident}:{window}"
    expires = datetime.fromtimestamp((window + 1) * window_seconds, tz=UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (key, count, expires_at) VALUES (%s, 1, %s) "  # noqa: S608 - fixed table name
            f"ON CONFLICT (key) DO UPDATE SET count = {_TABLE}.count + 1 RETURNING count",
            [key, expires],
        )
        row = cursor.fetchone()
    return bool(row and row[0] <= limit)


def check(scope: str, ident: str | int) -> None:
    """Count one action under `settings.RATE_LIMITS[scope]`; RateLimited (retry after the window) when over."""
    limit, window = settings.RATE_LIMITS[scope]
    if not hit(scope, ident, limit=limit, window_seconds=window):
        raise RateLimited(retry_after=window)


def purge_expired() -> int:
    deleted, _ = RateCounter.objects.filter(expires_at__lt=datetime.now(tz=UTC) - timedelta(minutes=1)).delete()
    return deleted
