"""Honest answers: the KB search and suggest bodies say who answered (`backend`) and whether it was the fallback;
the search page says so quietly; a fallback is counted in /metrics and shown in /readyz without degrading it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from helpdesk.core.metrics import REGISTRY
from search import fallbacks, get_backend
from search.backends import set_backend
from search.types import SearchResults
from tests.kb.conftest import World, publish
from tests.schema_match import assert_matches

pytestmark = pytest.mark.django_db


class FallingBack:
    """An engine whose answers all come from the database fallback (as when the engine is down)."""

    name = "opensearch"

    def __init__(self, database: Any) -> None:
        self.database = database

    def search(self, query: Any) -> SearchResults:
        fallbacks.record(self.name, "engine unavailable: ConnectionError")
        return replace(self.database.search(query), fallback=True)

    def suggest(self, text: str, **kwargs: Any) -> SearchResults:
        fallbacks.record(self.name, "engine unavailable: ConnectionError")
        return replace(self.database.suggest(text, **kwargs), fallback=True)

    def ping(self) -> dict[str, Any]:
        return {"status": "ok", "engine": self.name}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.database, name)


@pytest.fixture
def falling_back() -> Iterator[FallingBack]:
    before = get_backend()
    fallbacks.reset()
    backend = FallingBack(before)
    set_backend(backend)  # type: ignore[arg-type]
    yield backend
    set_backend(before)
    fallbacks.reset()


def test_search_and_suggest_say_the_database_answered(world: World) -> None:
    publish(world, title="Gagal impor data penduduk dari Excel", answer="Potong kolom nama jadi 100 karakter.")
    body = APIClient().get("/api/v1/kb/search/", {"q": "impor penduduk"}).json()
    assert body["backend"] == "database" and body["fallback"] is False and body["total"] == 1
    suggested = APIClient().get("/api/v1/kb/suggest/", {"q": "impor data penduduk dari excel gagal"}).json()
    assert suggested["backend"] == "database" and suggested["fallback"] is False and suggested["results"]
    page = Client().get("/kb/cari/", {"q": "impor penduduk"}).content.decode()
    assert 'id="cadangan"' not in page


def test_a_fallback_is_said_in_the_api_the_page_metrics_and_readyz(world: World, falling_back: FallingBack) -> None:
    publish(world, title="Gagal impor data penduduk dari Excel", answer="Potong kolom nama jadi 100 karakter.")
    before = REGISTRY.get_sample_value("helpdesk_search_fallbacks_total",
                                       {"backend": "opensearch", "reason": "unavailable"}) or 0.0
    body = APIClient().get("/api/v1/kb/search/", {"q": "impor penduduk"}).json()
    assert body["fallback"] is True and body["backend"] == "database" and body["total"] == 1
    assert_matches("/api/v1/kb/search/", "get", 200, body)
    suggested = APIClient().get("/api/v1/kb/suggest/", {"q": "impor data penduduk dari excel gagal"}).json()
    assert suggested["fallback"] is True
    assert_matches("/api/v1/kb/suggest/", "get", 200, suggested)

    page = Client().get("/kb/cari/", {"q": "impor penduduk"}).content.decode()
    assert 'id="cadangan"' in page and "pencarian cadangan" in page

    after = REGISTRY.get_sample_value("helpdesk_search_fallbacks_total",
                                      {"backend": "opensearch", "reason": "unavailable"})
    assert after == before + 3
    search = Client().get("/readyz").json()["checks"]["search"]
    assert search["fallbacks"]["count"] == 3 and search["fallbacks"]["by_reason"] == {"unavailable": 3}
    assert search["status"] == "ok"  # fallbacks alone never make the check degraded


@pytest.mark.parametrize(("problem", "reason"), [
    ("engine unavailable: ConnectionTimeout", "unavailable"),
    ("no answer within 1.50 s", "timeout"),
    ("ReadTimeoutError: read timed out", "timeout"),
    ("index helpdesk has mapping version 0, this code needs 1", "index"),
    ("TransportError 500", "error"),
])
def test_fallback_reasons_are_a_few_fixed_labels(problem: str, reason: str) -> None:
    assert fallbacks.reason_of(problem) == reason
