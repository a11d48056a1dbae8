"""search.indexing: sources registered by upper layers, sync in the caller's transaction, search_reindex."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from helpdesk.core.models import OutboxJob
from search import indexing
from search.backends.database import DatabaseBackend
from search.types import Document, SearchQuery

pytestmark = pytest.mark.django_db


class Store:
    """Stands in for a model table of an upper layer."""

    def __init__(self) -> None:
        self.rows: dict[str, str] = {}

    def load(self, ids: Sequence[str]) -> dict[str, Document | None]:
        return {i: Document("note", i, self.rows[i]) if i in self.rows else None for i in ids}

    def iterate(self) -> Iterator[Document]:
        for key, title in sorted(self.rows.items()):
            yield Document("note", key, title)

    def count(self) -> int:
        return len(self.rows)


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Store:
    store = Store()
    monkeypatch.setattr(indexing, "_SOURCES", {})
    indexing.register_source(indexing.Source("note", store.load, store.iterate, store.count))
    return store


def titles(text: str) -> list[str]:
    return [h.title for h in DatabaseBackend().search(SearchQuery(text=text)).hits]


def test_sync_on_the_database_indexes_in_the_same_transaction(store: Store) -> None:
    store.rows["1"] = "Impor penduduk gagal"
    with pytest.raises(RuntimeError), transaction.atomic():
        indexing.sync("note", ["1"])
        assert titles("impor") == ["Impor penduduk gagal"]
        raise RuntimeError("the change rolls back")
    assert titles("impor") == []
    indexing.sync("note", [1])
    assert titles("impor") == ["Impor penduduk gagal"]
    del store.rows["1"]
    indexing.sync("note", ["1"])
    assert titles("impor") == []


def test_sync_on_an_engine_goes_through_the_outbox(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    class Engine:
        name = "opensearch"

    monkeypatch.setattr(indexing, "get_backend", lambda: Engine())
    store.rows["2"] = "Sinkronisasi OpenDK"
    indexing.sync("note", ["2"])
    job = OutboxJob.objects.get(kind=indexing.SYNC_JOB)
    assert job.payload == {"doc_type": "note", "ids": ["2"]}
    assert titles("opendk") == []
    monkeypatch.setattr(indexing, "get_backend", DatabaseBackend)
    indexing._sync_job(job.payload, job)
    assert titles("opendk") == ["Sinkronisasi OpenDK"]


def test_unknown_types_fail_early(store: Store) -> None:
    with pytest.raises(ValueError, match="no search source"):
        indexing.sync("nope", ["1"])
    with pytest.raises(ValueError, match="twice"):
        indexing.register_source(indexing.Source("note", lambda ids: {}, list))


def test_search_reindex_command(store: Store) -> None:
    store.rows.update({"1": "Backup database", "2": "Restore database", "3": "Impor peta"})
    DatabaseBackend().index([Document("note", "old", "Catatan lama database")])
    out, err = StringIO(), StringIO()
    call_command("search_reindex", stdout=out, stderr=err)
    assert "3 dokumen diindeks (note: 3)" in out.getvalue()
    assert "3/3" in err.getvalue()  # the progress bar
    assert sorted(titles("database")) == ["Backup database", "Restore database"]
    with pytest.raises(CommandError, match="tidak dikenal"):
        call_command("search_reindex", "--type", "kb")
    call_command("search_reindex", "--type", "note", "--no-progress", stdout=StringIO())
    assert DatabaseBackend().count() == 3
