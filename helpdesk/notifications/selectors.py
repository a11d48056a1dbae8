from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection

from .models import Notification

PAGE = 50
# Unread notifications are counted up to this many: the badge says "99+" from there. Counting every unread row
# cost more with each one left unread, on every page and for every volunteer a new ticket notifies (issue 18);
# counted up to a limit, the cost is bounded however many pile up.
UNREAD_LIMIT = 100


def unread_count(user: Any) -> int:
    """How many of the person's notifications are unread, up to `UNREAD_LIMIT` (which means that many or more)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return unread_counts([user.pk]).get(user.pk, 0)


def unread_counts(user_ids: Iterable[int]) -> dict[int, int]:
    """`unread_count` for several people in one query: per person, at most `UNREAD_LIMIT` index entries read."""
    ids = sorted({int(pk) for pk in user_ids})
    if not ids:
        return {}
    table = connection.ops.quote_name(Notification._meta.db_table)
    users = connection.ops.quote_name(Notification._meta.get_field("user").related_model._meta.db_table)  # type: ignore[union-attr]
    # Each person's unread rows, read from the (user, read_at) index and stopped at the limit, then counted.
    sql = f"""
        SELECT p.id, (SELECT COUNT(*) FROM (SELECT 1 FROM {table} n WHERE n.user_id = p.id AND n.read_at IS NULL
                                             LIMIT %s) AS capped)
        FROM {users} p WHERE p.id IN ({", ".join(["%s"] * len(ids))})
    """  # noqa: S608 -- the table names come from the models, every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [UNREAD_LIMIT, *ids])
        return {pk: n for pk, n in cursor.fetchall() if n}


def notification_page(*, user: Any, before: int | None = None, unread_only: bool = False) -> tuple[list[Notification], int | None]:
    qs = Notification.objects.filter(user_id=user.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-pk")[: PAGE + 1])
    return rows[:PAGE], rows[PAGE - 1].pk if len(rows) > PAGE else None
