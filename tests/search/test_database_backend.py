"""What only the database backends promise: writes join the caller's transaction; PostgreSQL uses its GIN."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from search.backends.database import DatabaseBackend
from search.backends.database_sql import tsvector_literal
from search.models import SearchTerm
from search.types import Document, SearchQuery

pytestmark = pytest.mark.django_db


def test_index_rolls_back_with_the_callers_transaction() -> None:
    backend = DatabaseBackend()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        backend.index([Document("kb", "1", "Impor penduduk", "")])
        assert backend.count() == 1
        raise Boom
    assert backend.count() == 0
    assert backend.search(SearchQuery(text="impor")).hits == []
    assert not SearchTerm.objects.filter(kind="t", term="impor").exists()


def test_vocabulary_follows_writes() -> None:
    backend = DatabaseBackend()
    backend.index([Document("kb", "1", "Impor penduduk", "impor"), Document("kb", "2", "Impor vaksin", "")])
    assert SearchTerm.objects.get(kind="t", term="impor").df == 2
    assert SearchTerm.objects.get(kind="s", term="docs").df == 2
    backend.index([Document("kb", "2", "Ekspor vaksin", "")])
    assert SearchTerm.objects.get(kind="t", term="impor").df == 1
    backend.delete("kb", ["1", "2"])
    assert not SearchTerm.objects.filter(kind="t").exists()
    assert not SearchTerm.objects.filter(kind="w").exists()
    assert SearchTerm.objects.get(kind="s", term="docs").df == 0


def test_search_uses_a_fixed_number_of_queries(django_assert_max_num_queries: Any) -> None:
    backend = DatabaseBackend()
    backend.index([Document("kb", str(i), f"Impor penduduk nomor {i}", "gagal impor") for i in range(30)])
    backend.search(SearchQuery(text="warmup"))
    with django_assert_max_num_queries(4):
        results = backend.search(SearchQuery(text="gagal impor penduduk", limit=20))
    assert len(results.hits) == 20


def test_tsvector_literal_escapes_and_weights() -> None:
    assert tsvector_literal([("it's",), ("a\\b",)], [("it's",)]) == "'it''s':1A,4 'a\\\\b':2A"


@pytest.mark.postgres
def test_postgres_matches_through_the_gin_index() -> None:
    backend = DatabaseBackend()
    backend.index([Document("kb", str(i), f"Catatan {i}", "sinkronisasi opendk") for i in range(50)])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT id FROM search_document d WHERE d.tsv @@ %s::tsquery", ["'opendk'"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "search_document_tsv" in plan


@pytest.mark.postgres
def test_postgres_has_the_indonesian_configuration_we_do_not_feed() -> None:
    # docs/search.md: PostgreSQL 15 ships `indonesian` (Snowball); we store terms analysed in Python instead.
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_tsvector('indonesian', 'perbaikan pengaturan')")
        assert cursor.fetchone()[0] == "'atur':2 'baik':1"
