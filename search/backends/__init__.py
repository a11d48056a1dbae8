from __future__ import annotations

import threading
from typing import cast

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

    engine = EngineBackend(
        engine=config["engine"],
        url=config["url"],
        username=config["username"],
        password=config["password"],
        timeout=settings.SEARCH_TIMEOUT_SECONDS,
        prefix=settings.SEARCH_INDEX_PREFIX,
        shards=getattr(settings, "SEARCH_SHARDS", 1),
        replicas=getattr(settings, "SEARCH_REPLICAS", 0),
    )
    return cast(SearchBackend, engine)


def get_backend() -> SearchBackend:
    """The configured backend, built once per process."""
    global _backend
    if _backend is None:
        with _lock:
            if _backend is None:
                _backend = _build()
    return _backend


def set_backend(backend: SearchBackend | None) -> None:
    """Use this backend in this process (tests and benchmarks that point at their own engine index)."""
    global _backend
    with _lock:
        _backend = backend


def reset_backend() -> None:
    """Forget the built backend (tests that change SEARCH)."""
    global _backend
    with _lock:
        _backend = None
