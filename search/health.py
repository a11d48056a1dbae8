"""The search engine's part of /readyz."""

from __future__ import annotations

from typing import Any

from .backends import get_backend


def check_search() -> dict[str, Any]:
    return get_backend().ping()
