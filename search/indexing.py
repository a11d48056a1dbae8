"""How upper layers get their objects indexed, without this package importing them.

An upper layer registers a `Source` per document type (the knowledge base registers "kb", tickets may
register "ticket") and calls `sync(doc_type, ids)` inside the transaction of a change. On the database
backends the index is updated right there, in the same transaction; on an engine, an outbox job carries the
ids and runs after commit (and is retried while the engine is down). `search_reindex` walks every source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from helpdesk.core import outbox

from .backends import get_backend
from .backends.base import SearchBackend
from .types import Document

SYNC_JOB = "search.sync"


@dataclass(frozen=True)
class Source:
    doc_type: str
    # ids -> the Document to index, or None when the object is gone or must not be searchable (a draft).
    load: Callable[[Sequence[str]], dict[str, Document | None]]
    # Every searchable object, for a full reindex.
    iterate: Callable[[], Iterable[Document]]
    count: Callable[[], int] | None = None


_SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> None:
    existing = _SOURCES.get(source.doc_type)
    if existing is not None and existing != source:
        raise ValueError(f"search source {source.doc_type!r} is registered twice")
    _SOURCES[source.doc_type] = source


def registered_sources() -> dict[str, Source]:
    return dict(_SOURCES)


def _source(doc_type: str) -> Source:
    try:
        return _SOURCES[doc_type]
    except KeyError:
        raise ValueError(f"no search source registered for {doc_type!r}") from None


def apply(backend: SearchBackend, doc_type: str, ids: Sequence[str]) -> None:
    """Make the index agree with the source for these ids: index what exists, delete what does not."""
    ids = [str(i) for i in dict.fromkeys(ids)]
    found = _source(doc_type).load(ids)
    present = [doc for doc in (found.get(i) for i in ids) if doc is not None]
    missing = [i for i in ids if found.get(i) is None]
    if present:
        backend.index(present)
    if missing:
        backend.delete(doc_type, missing)


def sync(doc_type: str, ids: Iterable[Any]) -> None:
    """Call inside the transaction that changed these objects."""
    ids = [str(i) for i in ids]
    if not ids:
        return
    _source(doc_type)  # fail early on a typo, inside the caller's transaction
    backend = get_backend()
    if backend.name == "database":
        apply(backend, doc_type, ids)
    else:
        outbox.enqueue(SYNC_JOB, {"doc_type": doc_type, "ids": ids}, ordering_key=f"search:{doc_type}")


@outbox.handler(SYNC_JOB)
def _sync_job(payload: dict[str, Any], job: Any) -> None:
    apply(get_backend(), payload["doc_type"], payload["ids"])


def reindex(
    doc_types: Sequence[str] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    backend: SearchBackend | None = None,
) -> dict[str, int]:
    """Rebuild the index from the registered sources; returns the count per document type."""
    backend = backend or get_backend()
    types = list(doc_types) if doc_types else sorted(_SOURCES)
    for doc_type in types:
        _source(doc_type)
    counts: dict[str, int] = {}
    done = 0

    def documents() -> Iterable[Document]:
        nonlocal done
        for doc_type in types:
            counts[doc_type] = 0
            for doc in _SOURCES[doc_type].iterate():
                counts[doc_type] += 1
                yield doc

    def report(n: int) -> None:
        nonlocal done
        done = n
        if progress is not None:
            progress(n)

    backend.reindex(documents(), progress=report, doc_types=None if not doc_types else tuple(types))
    return counts


def expected_total(doc_types: Sequence[str] | None = None) -> int | None:
    types = list(doc_types) if doc_types else sorted(_SOURCES)
    total = 0
    for doc_type in types:
        count = _source(doc_type).count
        if count is None:
            return None
        total += count()
    return total
