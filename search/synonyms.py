"""The synonym list the analysis uses: the admin-edited `Synonym` rows, compiled and cached per process."""

from __future__ import annotations

import threading
import time

from django.db import DatabaseError

from .analysis import SynonymSet
from .synonym_defaults import DEFAULT_RULES

SYNONYM_CACHE_SECONDS = 30.0

_lock = threading.Lock()
_cached: tuple[float, SynonymSet] | None = None


def _load() -> SynonymSet:
    from .models import Synonym

    try:
        rules = list(Synonym.objects.filter(enabled=True).values_list("rule", flat=True))
    except DatabaseError:
        # Before `migrate` (or on a database without the table) search still expands the project's list.
        rules = list(DEFAULT_RULES)
    return SynonymSet.from_lines(rules)


def current_synonyms() -> SynonymSet:
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is not None and now - cached[0] < SYNONYM_CACHE_SECONDS:
        return cached[1]
    with _lock:
        synonyms = _load()
        _cached = (time.monotonic(), synonyms)
    return synonyms


def invalidate_synonyms() -> None:
    global _cached
    _cached = None
