"""The one interface every search backend offers. Upper layers call only these methods."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, Protocol

from ..types import Document, SearchQuery, SearchResults

SUGGEST_LIMIT = 5


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Batches of `size` for bulk writes, without materialising `items`."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class SearchBackend(Protocol):
    name: str

    def ping(self) -> dict[str, Any]:
        """A quick health probe for /readyz: `{"status": "ok"|"down", ...}`; never hangs."""
        ...

    def index(self, docs: Sequence[Document]) -> None:
        """Add or replace documents (by doc_type + doc_id). On the database backends this joins the caller's
        transaction, so the index changes exactly when the data does."""
        ...

    def delete(self, doc_type: str, ids: Iterable[str]) -> int:
        """Remove documents; unknown ids are ignored. Returns how many were removed."""
        ...

    def search(self, query: SearchQuery) -> SearchResults:
        """Best first. Any query text is searched as plain text (engine syntax, quotes and symbols have no
        meaning); invalid filters or limits were already rejected by SearchQuery."""
        ...

    def suggest(
        self,
        text: str,
        *,
        limit: int = SUGGEST_LIMIT,
        doc_types: tuple[str, ...] = ("kb",),
        audiences: frozenset[str] = frozenset(),
    ) -> SearchResults:
        """Documents similar to a longer text (a ticket being written): more-like-this over its rarest words."""
        ...

    def reindex(
        self,
        docs: Iterable[Document],
        *,
        progress: Callable[[int], None] | None = None,
        doc_types: tuple[str, ...] | None = None,
    ) -> int:
        """Replace the index (or only `doc_types`) with `docs`; searches keep working meanwhile.
        `progress` is called with the running count. Returns the number indexed."""
        ...

    def count(self, doc_type: str | None = None) -> int: ...
