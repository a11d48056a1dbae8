from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .selectors import unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    """The unread badge in the header: one COUNT on an index, only for signed-in people."""
    user = getattr(request, "user", None)
    return {"unread_notifications": unread_count(user) if user is not None and user.is_authenticated else 0}
