from __future__ import annotations

from typing import Any

from django.db import connection


class DatabaseBackend:
    """Full-text search inside the main database (SQLite FTS5 or PostgreSQL)."""

    name = "database"

    def ping(self) -> dict[str, Any]:
        return {"status": "ok", "engine": "database", "vendor": connection.vendor}
