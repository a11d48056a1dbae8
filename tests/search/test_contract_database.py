"""The backend contract on the database backends: SQLite FTS5 in the default pass, PostgreSQL in its pass."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from search.backends.database import DatabaseBackend
from search.synonyms import invalidate_synonyms
from search.vocabulary import invalidate_vocabulary
from tests.search.contract import SearchBackendContract


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgres",
                                                                         marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, db: Any) -> Iterator[DatabaseBackend]:
    if connection.vendor != request.param:
        pytest.skip(f"runs in the {request.param} pass" if request.param == "sqlite" else "PostgreSQL-only")
    invalidate_vocabulary()
    invalidate_synonyms()
    yield DatabaseBackend()
    invalidate_vocabulary()


class TestDatabaseBackend(SearchBackendContract):
    pass
