"""The engine's index is made ready at start-up, as `migrate` readies the database: `search_ensure` (run by
`make run`) and the worker's periodic check build a missing or outdated index from what the database holds,
one process at a time, and /readyz turns `ok`. The engine is the real OpenSearch node."""

from __future__ import annotations

import threading
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from helpdesk.core.models import OutboxJob
from helpdesk.core.outbox import Dispatcher
from search import bootstrap, indexing
from search.types import SearchQuery
from tests.search.conftest import EngineFactory, Store, title

pytestmark = pytest.mark.search_engine


def fill(store: Store, n: int) -> None:
    with transaction.atomic():
        for i in range(n):
            store.rows[str(i)] = title(i)
        indexing.sync("note", [str(i) for i in range(n)])


@pytest.mark.django_db
def test_search_ensure_builds_a_fresh_engine_from_the_database(
    engine_factory: EngineFactory, use_backend: Any, store: Store
) -> None:
    engine = engine_factory(empty_index=False)
    use_backend(engine)
    fill(store, 30)
    assert not engine.index_state(fresh=True).ok
    assert Client().get("/readyz").json()["checks"]["search"]["status"] == "degraded"
    assert engine.search(SearchQuery(text="kode7x")).fallback

    out = StringIO()
    call_command("search_ensure", "--no-progress", stdout=out)
    assert "dibangun" in out.getvalue()
    assert engine.count() == 30
    results = engine.search(SearchQuery(text="kode7x"))
    assert not results.fallback and [h.doc_id for h in results.hits] == ["7"]
    assert Client().get("/readyz").json()["checks"]["search"]["status"] == "ok"
    # The sync jobs queued while there was no index now find one.
    Dispatcher("t").drain()
    assert OutboxJob.objects.filter(kind=indexing.SYNC_JOB, status=OutboxJob.Status.PENDING).count() == 0

    out = StringIO()
    call_command("search_ensure", "--no-progress", stdout=out)
    assert "sudah mutakhir" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_processes_starting_at_once_build_the_index_once(
    engine_factory: EngineFactory, use_backend: Any, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_factory(empty_index=False)
    use_backend(engine)
    fill(store, 20)
    builds: list[int] = []
    real_reindex = bootstrap.reindex

    def counted(*args: Any, **kwargs: Any) -> dict[str, int]:
        builds.append(1)
        return real_reindex(*args, **kwargs)

    monkeypatch.setattr(bootstrap, "reindex", counted)
    monkeypatch.setattr(bootstrap, "POLL_SECONDS", 0.1)
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def starting() -> None:
        start.wait()
        outcomes.append(bootstrap.ensure_index(wait_seconds=60))

    threads = [threading.Thread(target=starting) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert len(builds) == 1
    assert sorted(outcomes).count(bootstrap.BUILT) == 1
    assert set(outcomes) <= {bootstrap.BUILT, bootstrap.WAITED, bootstrap.CURRENT}
    assert engine.count() == 20
    assert not engine.client.indices(f"{engine.alias}-bootstrap-lock")


@pytest.mark.django_db
def test_a_stale_lock_left_by_a_dead_build_is_taken_over(
    engine_factory: EngineFactory, use_backend: Any, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_factory(empty_index=False)
    use_backend(engine)
    fill(store, 5)
    engine.client.create_index(f"{engine.alias}-bootstrap-lock", {})
    assert bootstrap.ensure_index(wait_seconds=0) == bootstrap.BUSY
    monkeypatch.setattr(bootstrap, "LOCK_STALE_SECONDS", 0.0)
    assert bootstrap.ensure_index(wait_seconds=0) == bootstrap.BUILT
    assert engine.count() == 5


@pytest.mark.django_db
def test_the_periodic_check_rebuilds_a_wiped_engine(
    engine_factory: EngineFactory, use_backend: Any, store: Store
) -> None:
    engine = engine_factory()
    use_backend(engine)
    fill(store, 10)
    Dispatcher("t").drain()
    assert engine.count() == 10
    engine.drop_all()  # the node was replaced, or someone deleted the index
    bootstrap._check_index()
    assert OutboxJob.objects.filter(kind=bootstrap.ENSURE_JOB).count() == 1
    bootstrap._check_index()  # within the same period: still one build
    assert OutboxJob.objects.filter(kind=bootstrap.ENSURE_JOB).count() == 1
    Dispatcher("t").drain()
    assert engine.index_state(fresh=True).ok and engine.count() == 10


@pytest.mark.django_db
def test_search_ensure_on_the_database_backend_has_nothing_to_do() -> None:
    out = StringIO()
    call_command("search_ensure", "--no-progress", stdout=out)
    assert "basis data" in out.getvalue()
