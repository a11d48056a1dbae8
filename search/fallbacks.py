"""Counting the searches the database answered instead of the engine.

Every fallback is counted twice: in the Prometheus counter `helpdesk_search_fallbacks_total{backend, reason}`
(per process, as every /metrics number of a web process; Prometheus sums the processes) and in a short
in-process ring of recent fallbacks that `/readyz` reads (`checks.search.fallbacks`: how many in the last
`WINDOW_SECONDS`, by reason). A single fallback (one slow answer) does not make `/readyz` degraded; the engine's
own state does (search/health.py).
"""

from __future__ import annotations

import threading
import time
from collections import deque

from prometheus_client import Counter

from helpdesk.core.metrics import REGISTRY

WINDOW_SECONDS = 15 * 60
_KEEP = 10_000  # recent fallbacks kept per process; a dead engine with heavy traffic only saturates the count

FALLBACKS = Counter(
    "helpdesk_search_fallbacks", "Searches answered by the database because the engine could not",
    ["backend", "reason"], registry=REGISTRY,
)

_lock = threading.Lock()
_recent: deque[tuple[float, str]] = deque(maxlen=_KEEP)


def reason_of(problem: str) -> str:
    """A short, bounded label for a fallback's cause (never the raw message: it would explode the series)."""
    text = problem.lower()
    if text.startswith("engine unavailable"):  # unreachable, or skipped while the circuit breaker is open
        return "unavailable"
    if "no answer within" in text or "timed out" in text or "timeout" in text:
        return "timeout"
    if "connection" in text:
        return "unavailable"
    if "index" in text or "mapping" in text or "alias" in text:
        return "index"
    return "error"


def record(engine: str, problem: str) -> None:
    reason = reason_of(problem)
    FALLBACKS.labels(engine, reason).inc()
    with _lock:
        _recent.append((time.monotonic(), reason))


def recent(seconds: int = WINDOW_SECONDS) -> dict[str, int]:
    """{reason: fallbacks in the last `seconds`} in this process."""
    since = time.monotonic() - seconds
    counts: dict[str, int] = {}
    with _lock:
        while _recent and _recent[0][0] < time.monotonic() - WINDOW_SECONDS:
            _recent.popleft()
        for at, reason in _recent:
            if at >= since:
                counts[reason] = counts.get(reason, 0) + 1
    return counts


def reset() -> None:
    """Tests: forget the recent fallbacks of this process."""
    with _lock:
        _recent.clear()
