from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .selectors import UNREAD_LIMIT, unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    """The unread badge in the header: one bounded count on an index, only for signed-in people. From
    `UNREAD_LIMIT` on, the badge reads "99+"."""
    user = getattr(request, "user", None)
    n = unread_count(user) if user is not None and user.is_authenticated else 0
    return {"unread_notifications": n, "unread_many": n >= UNREAD_LIMIT, "unread_shown_max": UNREAD_LIMIT - 1}
