"""Startup check: with an engine configured, the index behind the alias must have this code's mapping.

Warnings, not errors: a mismatched or unreachable engine never stops `migrate` or the server (searches are
answered by the database meanwhile); the warning names the command that fixes it. /readyz reports the same.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.compatibility, "search")
def check_engine_mapping(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.SEARCH.get("engine", "database") == "database":
        return []
    from .backends import get_backend
    from .backends.engine import REINDEX_COMMAND, EngineBackend
    from .backends.engine_client import EngineError

    backend = get_backend()
    if not isinstance(backend, EngineBackend):
        return []
    try:
        state = backend.index_state(fresh=True, timeout=1.5)
    except EngineError as exc:
        return [Warning(
            f"search engine {backend.engine} at {backend.url} does not answer: {exc}",
            hint="Searches fall back to the database and changes queue in the outbox until it answers.",
            id="search.W002",
        )]
    if not state.ok:
        return [Warning(
            f"search index: {state.problem}",
            hint=f"Run `{REINDEX_COMMAND}` to build an index of this version (searches keep working meanwhile).",
            id="search.W001",
        )]
    return []
