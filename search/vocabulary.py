"""The index vocabulary the query planner corrects typos against: words as written, with document counts.

Loaded from `search_term` (kind `w`) once per process and database alias, refreshed after
VOCABULARY_CACHE_SECONDS or at once when this process writes to the index.
"""

from __future__ import annotations

import threading
import time

from rapidfuzz import process
from rapidfuzz.distance import OSA

VOCABULARY_CACHE_SECONDS = 60.0


class DatabaseVocabulary:
    def __init__(self, words: dict[str, int]) -> None:
        self._df = words
        # By first letter and length: a word within k edits differs in length by at most k.
        self._buckets: dict[tuple[str, int], list[str]] = {}
        for word in words:
            self._buckets.setdefault((word[0], len(word)), []).append(word)

    def word_df(self, word: str) -> int:
        return self._df.get(word, 0)

    def similar(self, word: str, max_edits: int) -> list[tuple[str, int, int]]:
        if not word or max_edits <= 0:
            return []
        found = []
        for length in range(max(1, len(word) - max_edits), len(word) + max_edits + 1):
            bucket = self._buckets.get((word[0], length))
            if not bucket:
                continue
            for candidate, distance, _ in process.extract(
                word, bucket, scorer=OSA.distance, score_cutoff=max_edits, limit=20
            ):
                if candidate != word:
                    found.append((candidate, int(distance), self._df[candidate]))
        found.sort(key=lambda item: (item[1], -item[2], item[0]))
        return found


_lock = threading.Lock()
_cache: dict[str, tuple[float, DatabaseVocabulary]] = {}


def vocabulary_for(using: str) -> DatabaseVocabulary:
    now = time.monotonic()
    cached = _cache.get(using)
    if cached is not None and now - cached[0] < VOCABULARY_CACHE_SECONDS:
        return cached[1]
    from .models import SearchTerm

    with _lock:
        rows = SearchTerm.objects.using(using).filter(kind="w", df__gt=0).values_list("term", "df")
        vocabulary = DatabaseVocabulary(dict(rows))
        _cache[using] = (time.monotonic(), vocabulary)
    return vocabulary


def invalidate_vocabulary(using: str | None = None) -> None:
    if using is None:
        _cache.clear()
    else:
        _cache.pop(using, None)
