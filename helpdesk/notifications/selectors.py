from __future__ import annotations

from typing import Any

from .models import Notification

PAGE = 50


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def notification_page(*, user: Any, before: int | None = None, unread_only: bool = False) -> tuple[list[Notification], int | None]:
    qs = Notification.objects.filter(user_id=user.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-pk")[: PAGE + 1])
    return rows[:PAGE], rows[PAGE - 1].pk if len(rows) > PAGE else None
