"""Indexing with an engine: the database index in the transaction, the engine after commit through the outbox,
in bulk; an engine killed during indexing loses nothing; a reindex under a storm of searches has no error.

Everything goes through the front door: `search.indexing.sync` inside transactions, the real outbox
Dispatcher, `/readyz`, `search_reindex`. The engine is the real OpenSearch node behind a proxy the tests cut.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator, Sequence
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client

from helpdesk.core.models import OutboxJob
from helpdesk.core.outbox import Dispatcher
from search import indexing
from search.backends.database import DatabaseBackend
from search.backends.engine import EngineBackend
from search.types import Document, SearchQuery
from tests.search.conftest import WORDS, EngineFactory, Store, title
from tests.search.engine_proxy import EngineProxy

pytestmark = pytest.mark.search_engine

@pytest.fixture
def proxy(engine_upstream: str) -> Iterator[EngineProxy]:
    with EngineProxy(engine_upstream) as running:
        yield running


def write(store: Store, ids: range, *, prefix: str = "") -> None:
    """One transaction per call, like a service saving entries."""
    with transaction.atomic():
        for i in ids:
            store.rows[str(i)] = prefix + title(i)
        indexing.sync("note", [str(i) for i in ids])


def engine_ids(backend: EngineBackend) -> set[str]:
    response = backend.client.search(backend.alias, {"size": 2000, "_source": ["doc_id"], "query": {"match_all": {}}})
    return {h["_source"]["doc_id"] for h in response["hits"]["hits"]}


def sync_jobs(**filters: Any) -> int:
    return OutboxJob.objects.filter(kind=indexing.SYNC_JOB, **filters).count()


@pytest.mark.django_db
def test_sync_writes_the_database_now_and_the_engine_after_commit(
    engine_factory: EngineFactory, use_backend: Any, store: Store
) -> None:
    engine = engine_factory()
    use_backend(engine)
    write(store, range(1, 4))
    assert [h.doc_id for h in DatabaseBackend().search(SearchQuery(text="kode2x")).hits] == ["2"]
    assert engine.count() == 0
    job = OutboxJob.objects.get(kind=indexing.SYNC_JOB)
    assert job.max_attempts == indexing.SYNC_MAX_ATTEMPTS
    Dispatcher("t").drain()
    assert engine.count() == 3
    assert [h.doc_id for h in engine.search(SearchQuery(text="kode2x")).hits] == ["2"]
    del store.rows["2"]
    write(store, range(0))  # nothing
    with transaction.atomic():
        indexing.sync("note", ["2"])
    assert DatabaseBackend().search(SearchQuery(text="kode2x")).hits == []
    Dispatcher("t").drain()
    assert engine_ids(engine) == {"1", "3"}


@pytest.mark.django_db
def test_queued_jobs_are_indexed_in_one_bulk(
    engine_factory: EngineFactory, use_backend: Any, store: Store, proxy: EngineProxy
) -> None:
    engine = engine_factory(proxy=proxy)
    use_backend(engine)
    for i in range(40):
        write(store, range(i, i + 1))
    assert sync_jobs(status=OutboxJob.Status.PENDING) == 40
    proxy.requests.clear()
    Dispatcher("t").drain()
    bulks = [path for method, path, body in proxy.requests if "/_bulk" in path]
    assert len(bulks) == 1
    assert sync_jobs(status=OutboxJob.Status.DONE) == 40
    assert engine.count() == 40


@pytest.mark.django_db(transaction=True)
def test_engine_killed_during_indexing_loses_nothing(
    engine_factory: EngineFactory, use_backend: Any, store: Store, proxy: EngineProxy
) -> None:
    engine = engine_factory(proxy=proxy)
    use_backend(engine)
    dispatcher = Dispatcher("crash")
    for start in range(0, 100, 10):
        write(store, range(start, start + 10))
    dispatcher.run_due()  # the first job takes over the queued ones: 100 notes in the engine
    assert engine.count() == 100

    # More writes; the engine dies while the worker is loading the next bulk.
    for start in range(100, 200, 10):
        write(store, range(start, start + 10))

    def die(ids: Sequence[str]) -> None:
        store.on_load = None
        proxy.cut()

    store.on_load = die
    dispatcher.run_due()
    # Writes go on while the engine is gone: none fails, every one reaches the database index at once.
    for start in range(200, 300, 10):
        write(store, range(start, start + 10))
    write(store, range(5, 6), prefix="Diperbarui waktu mati ")
    dispatcher.run_due()
    assert sync_jobs(status=OutboxJob.Status.PARKED) == 0
    assert sync_jobs(status=OutboxJob.Status.PENDING) == 21
    assert OutboxJob.objects.filter(kind=indexing.SYNC_JOB, attempts__gte=1, status="pending").exists()

    ready = Client().get("/readyz").json()
    assert ready["status"] == "degraded"
    assert ready["checks"]["search"]["status"] == "down"
    assert ready["checks"]["search"]["backlog"] == 21
    during = engine.search(SearchQuery(text="kode250x"))
    assert during.fallback and [h.doc_id for h in during.hits] == ["250"]

    proxy.restore()
    assert indexing.wake_backlog() > 0
    dispatcher.drain()
    assert sync_jobs(status=OutboxJob.Status.PENDING) == 0 and sync_jobs(status=OutboxJob.Status.PARKED) == 0
    assert engine_ids(engine) == {str(i) for i in range(300)}
    after = engine.search(SearchQuery(text="diperbarui waktu mati"))
    assert not after.fallback and after.hits[0].doc_id == "5"
    ready = Client().get("/readyz").json()
    assert ready["checks"]["search"]["status"] == "ok" and ready["checks"]["search"]["backlog"] == 0


@pytest.mark.django_db
def test_changes_during_a_reindex_reach_the_new_index(
    engine_factory: EngineFactory, use_backend: Any, store: Store
) -> None:
    engine = engine_factory()
    use_backend(engine)
    write(store, range(50))
    Dispatcher("t").drain()
    old_index = engine.index_state(fresh=True).index

    def change_meanwhile(n: int) -> None:
        # Every note has been read into the new index; this change reaches only the old one, through the alias.
        write(store, range(7, 8), prefix="Berubah saat indeks ulang ")
        del store.rows["9"]
        with transaction.atomic():
            indexing.sync("note", ["9"])
        Dispatcher("t").drain()

    counts = indexing.reindex(progress=change_meanwhile, backend=engine)
    assert counts == {"note": 50}
    assert engine.index_state(fresh=True).index != old_index
    hits = engine.search(SearchQuery(text="berubah saat indeks ulang")).hits
    assert hits and hits[0].doc_id == "7"
    assert "9" not in engine_ids(engine) and len(engine_ids(engine)) == 49


@pytest.mark.django_db
def test_search_reindex_command_on_an_engine(engine_factory: EngineFactory, use_backend: Any, store: Store) -> None:
    engine = engine_factory()
    use_backend(engine)
    store.rows.update({str(i): title(i) for i in range(25)})
    out, err = StringIO(), StringIO()
    call_command("search_reindex", "--database", stdout=out, stderr=err)
    text = out.getvalue()
    assert text.count("25 dokumen diindeks (note: 25)") == 2
    assert f"Alias {engine.alias} kini menunjuk {engine.index_state().index}" in text
    assert "25/25" in err.getvalue()
    assert engine.count() == 25 and DatabaseBackend().count() == 25


@pytest.mark.django_db(transaction=True)
def test_reindex_while_searches_hammer_the_alias_has_no_errors(engine_factory: EngineFactory) -> None:
    engine = engine_factory(drop_grace_seconds=2.0)
    docs = [Document("kb", str(i), title(i), " ".join(random.Random(i).choices(WORDS, k=30))) for i in range(2000)]
    engine.reindex(docs)
    queries = [f"{a} {b}" for a in WORDS for b in WORDS[:5]] + ["kode17x", "impor penduduk gagal", "backup"]
    stop = threading.Event()
    errors: list[str] = []
    fallbacks: list[str] = []
    counts = [0, 0, 0, 0]

    def hammer(slot: int) -> None:
        rng = random.Random(slot)
        try:
            while not stop.is_set():
                try:
                    results = engine.search(SearchQuery(text=rng.choice(queries)))
                except Exception as exc:
                    errors.append(repr(exc))
                    continue
                if results.fallback or not results.hits:
                    fallbacks.append(results.backend)
                counts[slot] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=hammer, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    try:
        indices = []
        for _ in range(3):
            engine.reindex(docs)
            indices.append(engine.index_state(fresh=True).index)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert len(set(indices)) == 3
    assert errors == []
    assert fallbacks == []
    assert sum(counts) > 200 and min(counts) > 0
    assert engine.count() == 2000
