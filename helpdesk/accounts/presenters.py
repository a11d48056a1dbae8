"""The signed-in person of a request, and how a person appears in JSON (authors, assignees, askers, editors)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .models import User


def current_user(request: HttpRequest | Any) -> User:
    """The signed-in user of a request (a Django or a DRF request) that passed a sign-in check
    (`login_required`, `IsAuthenticated`); PermissionDenied if the check was forgotten."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def person(user: User | None) -> dict[str, Any] | None:
    """`{"id", "username", "name"}`, or None for nobody (no assignee, a deleted author)."""
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": user.display_name}
