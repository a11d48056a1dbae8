"""The search engine's part of /readyz.

On the database backends: the index answers. With an engine: the engine's own state (reachable, cluster
status, the index behind the alias and its mapping version, with the command that fixes a mismatch) plus the
backlog of changes waiting for it. While the engine is down the check says `down` (so /readyz says
`degraded`): searches are answered by the database and writes queue up in the outbox.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from . import fallbacks
from .backends import get_backend


def check_search() -> dict[str, Any]:
    try:
        return _check()
    finally:
        if not connection.in_atomic_block:
            connection.close()  # the check runs in a pool thread; don't leave its connection behind


def _check() -> dict[str, Any]:
    backend = get_backend()
    result = backend.ping()
    if backend.name == "database":
        return result
    from .indexing import backlog

    recent = fallbacks.recent()
    # Fallbacks of this process in the last minutes, by reason: shown, never a reason to say degraded by themselves
    # (one slow answer is not an outage; the engine's own state above is what decides).
    result["fallbacks"] = {"minutes": fallbacks.WINDOW_SECONDS // 60, "count": sum(recent.values()),
                           "by_reason": recent}
    queued = backlog()
    result["backlog"] = queued["pending"]
    if queued["parked"]:
        result["parked"] = queued["parked"]
        if result.get("status") == "ok":
            result["status"] = "degraded"
            result["detail"] = "parked search.sync jobs: retry them in the admin (Outbox)"
    return result
