"""Search backends behind one seam: the database (SQLite FTS5 / PostgreSQL) or an Elasticsearch/OpenSearch engine.

Upper layers call `search.get_backend()` with the plain values of `search.types`; this package never imports them.
"""

from .backends import SearchBackend, get_backend, reset_backend
from .types import (
    MAX_LIMIT,
    MAX_QUERY_CHARS,
    Document,
    SearchHit,
    SearchQuery,
    SearchQueryError,
    SearchResults,
)

__all__ = [
    "MAX_LIMIT",
    "MAX_QUERY_CHARS",
    "Document",
    "SearchBackend",
    "SearchHit",
    "SearchQuery",
    "SearchQueryError",
    "SearchResults",
    "get_backend",
    "reset_backend",
]
