"""The knowledge-base API's bodies match the schema that documents them (keys and types)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.kb.conftest import World, publish
from tests.schema_match import assert_matches

pytestmark = pytest.mark.django_db


def test_every_kb_response_matches_its_schema(world: World) -> None:
    entry = publish(world, title="Gagal impor data penduduk dari Excel", region="52.03",
                    answer="Potong isian kolom nama menjadi maksimal 100 karakter, lalu impor ulang.")
    client = APIClient()
    found = client.get("/api/v1/kb/search/", {"q": "impor penduduk excel"}).json()
    assert found["results"]
    assert_matches("/api/v1/kb/search/", "get", 200, found)
    suggested = client.get("/api/v1/kb/suggest/", {"q": "impor penduduk excel"}).json()
    assert suggested["results"]
    assert_matches("/api/v1/kb/suggest/", "get", 200, suggested)
    assert_matches("/api/v1/kb/entries/{entry_id}/", "get", 200, client.get(f"/api/v1/kb/entries/{entry.pk}/").json())
