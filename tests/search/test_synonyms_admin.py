"""Admins edit the synonym list in the admin; search uses the change at once."""

from __future__ import annotations

from typing import Any

import pytest

from search.backends.database import DatabaseBackend
from search.models import Synonym
from search.synonym_defaults import DEFAULT_RULES
from search.synonyms import invalidate_synonyms
from search.types import Document, SearchQuery

pytestmark = pytest.mark.django_db


def test_the_project_list_is_seeded() -> None:
    assert set(Synonym.objects.values_list("rule", flat=True)) >= set(DEFAULT_RULES)


def test_a_rule_added_in_the_admin_is_used_by_search(admin_client: Any) -> None:
    invalidate_synonyms()
    backend = DatabaseBackend()
    backend.index([Document("kb", "1", "Koneksi internet putus saat sinkronisasi", "Periksa jaringan.")])
    assert backend.search(SearchQuery(text="wifi putus")).hits[0].doc_id == "1"  # "putus" alone
    assert backend.search(SearchQuery(text="wifi")).hits == []

    response = admin_client.post(
        "/admin/search/synonym/add/", {"rule": "wifi, internet, jaringan", "enabled": "on", "note": "uji"}
    )
    assert response.status_code == 302, response.content
    assert backend.search(SearchQuery(text="wifi")).hits[0].doc_id == "1"

    synonym = Synonym.objects.get(rule="wifi, internet, jaringan")
    response = admin_client.post(f"/admin/search/synonym/{synonym.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert backend.search(SearchQuery(text="wifi")).hits == []


def test_an_invalid_rule_is_refused_with_a_message(admin_client: Any) -> None:
    response = admin_client.post("/admin/search/synonym/add/", {"rule": "a => b => c", "enabled": "on"})
    assert response.status_code == 200
    assert "=&gt;" in response.content.decode() or "=>" in response.content.decode()
    assert not Synonym.objects.filter(rule="a => b => c").exists()


def test_disabled_rules_are_ignored() -> None:
    invalidate_synonyms()
    backend = DatabaseBackend()
    backend.index([Document("kb", "1", "Data ganda", "")])
    assert backend.search(SearchQuery(text="dobel")).hits
    Synonym.objects.filter(rule__startswith="ganda, dobel").update(enabled=False)
    invalidate_synonyms()
    assert backend.search(SearchQuery(text="dobel")).hits == []
