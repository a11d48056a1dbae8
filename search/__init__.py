"""Search backends behind one seam: the database (SQLite FTS5 / PostgreSQL) or an Elasticsearch/OpenSearch engine.

Upper layers call `search.get_backend()`; this package never imports them.
"""

from .backends import SearchBackend, get_backend, reset_backend

__all__ = ["SearchBackend", "get_backend", "reset_backend"]
