"""Fixed-window rate limits kept in the shared cache, for the web and the API alike."""

from __future__ import annotations

import time

from django.core.cache import cache


def hit(scope: str, ident: str | int, *, limit: int, window_seconds: int) -> bool:
    """Count one action; True while `ident` stays within `limit` actions per window."""
    window = int(time.time() // window_seconds)
    key = f"rl:{scope}:{ident}:{window}"
    if cache.add(key, 1, timeout=window_seconds + 5):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_seconds + 5)
        return True
    return count <= limit


def peek(scope: str, ident: str | int, *, window_seconds: int) -> int:
    window = int(time.time() // window_seconds)
    return int(cache.get(f"rl:{scope}:{ident}:{window}", 0))
