"""The knowledge base on a real OpenSearch node: `kb_import` returns with its entries in the engine (not only
queued in the outbox), and publishing, archiving and the public API go through the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from helpdesk.core.outbox import Dispatcher
from helpdesk.kb import services
from search.backends.engine import EngineBackend
from search.types import SearchQuery
from tests.kb.conftest import World, fresh, import_lines
from tests.search.conftest import engine_factory, engine_node, engine_upstream, use_backend

__all__ = ["engine_factory", "engine_node", "engine_upstream", "use_backend"]

pytestmark = [pytest.mark.search_engine, pytest.mark.django_db(transaction=True)]


def test_import_is_searchable_in_the_engine_when_the_command_returns(
    world: World, tmp_path: Path, engine_factory: Any, use_backend: Any
) -> None:
    engine: EngineBackend = engine_factory()
    use_backend(engine)
    import_lines(tmp_path, [
        {"external_id": f"os-{i}", "title": f"Gagal impor data penduduk kasus {i}",
         "answer": "Potong kolom nama jadi 100 karakter."} for i in range(30)
    ] + [{"external_id": "os-surat", "title": "Surat domisili error 500", "answer": "Unggah ulang template."}])
    assert engine.count("kb") == 31  # in the engine itself, without running the outbox worker
    hits = engine.search(SearchQuery(text="surat domisili", doc_types=("kb",))).hits
    assert [h.external_id for h in hits][:1] == ["os-surat"]
    body = APIClient().get("/api/v1/kb/search/", {"q": "impor penduduk", "limit": 50}).json()
    assert body["total"] == 30 and len(body["results"]) == 30


def test_archiving_removes_the_entry_from_the_engine(world: World, engine_factory: Any, use_backend: Any) -> None:
    engine: EngineBackend = engine_factory()
    use_backend(engine)
    entry = services.entry_create(actor=fresh(world.admin), data=services.EntryInput(
        title="Sinkronisasi OpenDK gagal", answer="Perbarui token."), submit=True).entry
    Dispatcher("t").drain()
    assert engine.count("kb") == 1
    services.entry_archive(entry=entry, actor=fresh(world.admin))
    Dispatcher("t").drain()
    assert engine.count("kb") == 0
    assert APIClient().get("/api/v1/kb/search/", {"q": "sinkronisasi opendk"}).json()["total"] == 0


def test_an_entry_the_engine_still_holds_but_no_longer_published_is_not_shown(
    world: World, engine_factory: Any, use_backend: Any
) -> None:
    from helpdesk.kb.models import Entry, EntryStatus

    engine: EngineBackend = engine_factory()
    use_backend(engine)
    entries = [services.entry_create(actor=fresh(world.admin), data=services.EntryInput(
        title=f"Sinkronisasi OpenDK gagal kasus {i}", answer="Perbarui token."), submit=True).entry for i in range(2)]
    Dispatcher("t").drain()
    # Archived without the outbox running: the engine lags behind the database.
    Entry.objects.filter(pk=entries[0].pk).update(status=EntryStatus.ARCHIVED)
    assert engine.count("kb") == 2
    body = APIClient().get("/api/v1/kb/search/", {"q": "sinkronisasi opendk"}).json()
    assert body["backend"] == "opensearch" and [h["id"] for h in body["results"]] == [entries[1].pk]
    assert body["total"] == 1


def test_the_api_says_the_engine_answered_and_says_so_when_the_database_did(
    world: World, tmp_path: Path, engine_factory: Any, engine_upstream: str, use_backend: Any
) -> None:
    from django.test import Client

    from search import fallbacks
    from tests.search.engine_proxy import EngineProxy

    with EngineProxy(engine_upstream) as proxy:
        engine: EngineBackend = engine_factory(proxy=proxy)
        use_backend(engine)
        fallbacks.reset()
        import_lines(tmp_path, [{"external_id": "os-1", "title": "Gagal impor data penduduk",
                                 "answer": "Potong kolom nama jadi 100 karakter."}])
        body = APIClient().get("/api/v1/kb/search/", {"q": "impor penduduk"}).json()
        assert (body["backend"], body["fallback"], body["total"]) == (engine.engine, False, 1)

        proxy.cut()
        body = APIClient().get("/api/v1/kb/search/", {"q": "impor penduduk"}).json()
        assert (body["backend"], body["fallback"], body["total"]) == ("database", True, 1)
        assert "pencarian cadangan" in Client().get("/kb/cari/", {"q": "impor penduduk"}).content.decode()
        search = Client().get("/readyz").json()["checks"]["search"]
        assert search["fallbacks"]["count"] >= 2 and search["fallbacks"]["by_reason"]
        proxy.restore()
