from __future__ import annotations

from typing import Any, Protocol


class SearchBackend(Protocol):
    """What every search backend offers. The knowledge-base issue adds indexing and querying."""

    name: str

    def ping(self) -> dict[str, Any]:
        """A quick health probe for /readyz: `{"status": "ok"|"down", ...}`; never hangs."""
        ...
