"""An upload that already passed its checks, held for a short while between two submits of the same form.

A form that is shown again before it files (the "Sebelum mengirim, apakah ini jawabannya?" step) cannot keep a
file field's content in the browser. The checked file is held on the server under a random token, bound to the
person who sent it, so the second submit carries the token instead of the file and nothing gets dropped.
"""

from __future__ import annotations

import secrets

from django.core.cache import cache

from .uploads import CheckedFile

HOLD_SECONDS = 30 * 60  # long enough to read the suggestions, short enough not to pile up
_PREFIX = "held-upload"


def _key(owner_id: int, token: str) -> str:
    return f"{_PREFIX}:{owner_id}:{token}"


def hold_upload(*, owner_id: int, checked: CheckedFile) -> str:
    token = secrets.token_urlsafe(18)
    cache.set(_key(owner_id, token), checked, HOLD_SECONDS)
    return token


def held_upload(*, owner_id: int, token: str) -> CheckedFile | None:
    """The file held under `token` for this person, or None (expired, someone else's, or made up)."""
    if not token or len(token) > 64 or not token.replace("-", "").replace("_", "").isalnum():
        return None
    found = cache.get(_key(owner_id, token))
    return found if isinstance(found, CheckedFile) else None


def release_upload(*, owner_id: int, token: str) -> None:
    if token:
        cache.delete(_key(owner_id, token))
