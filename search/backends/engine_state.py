"""Whether the search engine may be asked: what stands behind the alias, and a circuit breaker after failures.

`EngineBackend` (engine.py) consults both before every search and write, and falls back to the database
while either says no.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from .engine_client import EngineError
from .engine_mapping import MAPPING_VERSION, fingerprint

log = logging.getLogger(__name__)

REINDEX_COMMAND = "python manage.py search_reindex"


class Breaker:
    """After a failure, skip the engine for 1, 2, 4 ... up to 30 seconds; one success closes it."""

    def __init__(self, base: float = 1.0, cap: float = 30.0) -> None:
        self.base = base
        self.cap = cap
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until = 0.0
        self.last_error = ""

    def allows(self) -> bool:
        return time.monotonic() >= self._open_until

    def failure(self, error: str) -> None:
        with self._lock:
            self._failures += 1
            self._open_until = time.monotonic() + min(self.cap, self.base * 2 ** (self._failures - 1))
            self.last_error = error

    def success(self) -> None:
        if self._failures or self._open_until:
            with self._lock:
                self._failures = 0
                self._open_until = 0.0

    def reset(self) -> None:
        self.success()


class IndexState:
    """What stands behind the alias: the index name and whether its mapping is the one this code writes."""

    def __init__(self, index: str = "", version: int | None = None, fingerprint: str = "", problem: str = "") -> None:
        self.index = index
        self.version = version
        self.fingerprint = fingerprint
        self.problem = problem

    @property
    def ok(self) -> bool:
        return not self.problem

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "mapping_version": self.version, "expected_mapping_version": MAPPING_VERSION,
                **({"problem": self.problem} if self.problem else {})}



def read_state(alias: str, found: dict[str, dict[str, Any]]) -> IndexState:
    """Judge what `indices(alias)` found: one index behind the alias, with the mapping this code writes."""
    behind = sorted(name for name, data in found.items() if alias in (data.get("aliases") or {}))
    if not behind:
        if alias in found:
            return IndexState(alias, problem=f"{alias} is an index, not an alias; run {REINDEX_COMMAND}")
        return IndexState(problem=f"no index behind the alias {alias}; run {REINDEX_COMMAND}")
    if len(behind) > 1:
        return IndexState(",".join(behind), problem=f"the alias {alias} points to {len(behind)} indices; "
                                                    f"run {REINDEX_COMMAND}")
    index = behind[0]
    meta = (found[index].get("mappings") or {}).get("_meta") or {}
    version = meta.get("mapping_version")
    version = int(version) if isinstance(version, int | str) and str(version).isdigit() else None
    stamp = str(meta.get("fingerprint", ""))
    if version != MAPPING_VERSION or stamp != fingerprint():
        why = (f"mapping version {version}, this code needs {MAPPING_VERSION}" if version != MAPPING_VERSION
               else "mapping differs from this code's (same version number)")
        return IndexState(index, version, stamp, problem=f"index {index}: {why}; run {REINDEX_COMMAND}")
    return IndexState(index, version, stamp)


# How long the documents per type (which filters go to `post_filter`, engine_query.POST_FILTER_SHARE) are kept.
COUNTS_TTL_SECONDS = 60.0
Counts = tuple[dict[str, int], int, int]


class DocCounts:
    """(documents per type, non-public documents, all documents) behind the alias, asked of the engine at most
    once per COUNTS_TTL_SECONDS with one size-0 request; None when the engine did not say (then the filters stay
    in the query)."""

    def __init__(self) -> None:
        self._held: tuple[float, Counts | None] | None = None

    def forget(self) -> None:
        self._held = None

    def get(self, client: Any, alias: str, *, timeout: float) -> Counts | None:
        held = self._held
        if held is not None and time.monotonic() - held[0] < COUNTS_TTL_SECONDS:
            return held[1]
        body = {"size": 0, "track_total_hits": True, "query": {"match_all": {}},
                "aggs": {"types": {"terms": {"field": "doc_type", "size": 100}},
                         "private": {"filter": {"term": {"is_public": False}}}}}
        found: Counts | None
        try:
            response = client.search(alias, body, timeout=timeout)
            aggs = response.get("aggregations") or {}
            counts = {str(b["key"]): int(b["doc_count"]) for b in aggs.get("types", {}).get("buckets", [])}
            found = (counts, int(aggs.get("private", {}).get("doc_count", 0)),
                     int(response.get("hits", {}).get("total", {}).get("value", 0)))
        except (EngineError, KeyError, TypeError, ValueError) as exc:
            log.info("search engine document counts unavailable: %s", str(exc)[:200])
            found = None
        self._held = (time.monotonic(), found)
        return found
