"""Anonymous search is limited per IP address, signed-in search per account: a scraper gets 429 with the contract
body and Retry-After on the API (search and suggest) and on the search page; an office sharing one address is far
below the default limit."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from helpdesk.core.models import RateCounter
from tests.kb.conftest import World, client_for, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight(settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "kb_search_anon": (3, 60), "kb_search_user": (5, 60)}


def test_the_defaults_are_generous_and_read_from_the_environment() -> None:
    assert django_settings.RATE_LIMITS["kb_search_anon"] == (120, 60)
    assert django_settings.RATE_LIMITS["kb_search_user"] == (240, 60)


def test_an_anonymous_scraper_gets_429_with_the_contract_body_and_retry_after(world: World, tight: None) -> None:
    publish(world, title="Gagal impor data penduduk", answer="Potong kolom nama.")
    api = APIClient(REMOTE_ADDR="203.0.113.7")
    assert api.get("/api/v1/kb/search/", {"q": "impor"}).status_code == 200
    assert api.get("/api/v1/kb/suggest/", {"q": "impor data penduduk"}).status_code == 200
    assert api.get("/api/v1/kb/search/", {"q": "impor"}).status_code == 200
    refused = api.get("/api/v1/kb/search/", {"q": "impor"})
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled" and refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert api.get("/api/v1/kb/suggest/", {"q": "impor data penduduk"}).status_code == 429

    page = Client(REMOTE_ADDR="203.0.113.7").get("/kb/cari/", {"q": "impor"})
    assert page.status_code == 429 and int(page["Retry-After"]) > 0
    assert "Terlalu banyak" in page.content.decode()

    # Another address (another village office) is not affected; the counter never holds an address.
    assert APIClient(REMOTE_ADDR="198.51.100.2").get("/api/v1/kb/search/", {"q": "impor"}).status_code == 200
    assert not RateCounter.objects.filter(key__contains="203.0.113.7").exists()


def test_signed_in_users_are_counted_per_account(world: World, tight: None) -> None:
    publish(world, title="Gagal impor data penduduk", answer="Potong kolom nama.")
    operator = client_for(world.op_a)
    for _ in range(5):
        assert operator.get("/api/v1/kb/search/", {"q": "impor"}).status_code == 200
    assert operator.get("/api/v1/kb/search/", {"q": "impor"}).status_code == 429
    # The account's limit is its own: anonymous callers of the same address still search.
    assert APIClient().get("/api/v1/kb/search/", {"q": "impor"}).status_code == 200
    assert client_for(world.op_b).get("/api/v1/kb/search/", {"q": "impor"}).status_code == 200


def test_an_empty_search_page_is_not_counted(world: World, tight: None) -> None:
    browser = Client()
    for _ in range(5):
        assert browser.get("/kb/cari/").status_code == 200


def test_the_search_api_counts_a_search_with_its_published_check(world: World, tight: None) -> None:
    """One statement counts the search and confirms its hits on PostgreSQL (two on SQLite, where a statement
    is no round trip); a refused caller is refused again without being searched."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    publish(world, title="Gagal impor data penduduk", answer="Potong kolom nama.")
    api = APIClient(REMOTE_ADDR="203.0.113.9")
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/kb/search/", {"q": "impor"}).json()["total"] == 1
    counting = [q["sql"] for q in queries if "ratecounter" in q["sql"].lower()]
    assert len(counting) == 1
    assert ("kb_entry" in counting[0]) == (connection.vendor == "postgresql")
    assert RateCounter.objects.get(key__startswith="kb_search_anon:").count == 1
    for _ in range(2):
        assert api.get("/api/v1/kb/search/", {"q": "tidak ada yang cocok"}).status_code == 200
    assert RateCounter.objects.get(key__startswith="kb_search_anon:").count == 3
    assert api.get("/api/v1/kb/search/", {"q": "impor"}).status_code == 429
    with CaptureQueriesContext(connection) as queries:
        refused = api.get("/api/v1/kb/search/", {"q": "impor"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert not [q for q in queries if "kb_" in q["sql"] or "ratecounter" in q["sql"]]
