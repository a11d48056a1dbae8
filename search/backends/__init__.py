from __future__ import annotations

import threading

from django.conf import settings

from .base import SearchBackend

_lock = threading.Lock()
_backend: SearchBackend | None = None


def _build() -> SearchBackend:
    config = settings.SEARCH
    if config["engine"] == "database":
        from .database import DatabaseBackend

        return DatabaseBackend()
    from .engine import EngineBackend

    return EngineBackend(
        engine=config["engine"],
        url=config["url"],
        username=config["username"],
        password=config["password"],
        timeout=settings.SEARCH_TIMEOUT_SECONDS,
        prefix=settings.SEARCH_INDEX_PREFIX,
    )


def get_backend() -> SearchBackend:
    """The configured backend, built once per process."""
    global _backend
    if _backend is None:
        with _lock:
            if _backend is None:
                _backend = _build()
    return _backend


def reset_backend() -> None:
    """Forget the built backend (tests that change SEARCH)."""
    global _backend
    with _lock:
        _backend = None
