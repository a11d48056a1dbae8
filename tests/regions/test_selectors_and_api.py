"""The region tree: ancestors and descendants in one query, search by name or code, and its API."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from helpdesk.regions import selectors
from helpdesk.regions.models import Region
from helpdesk.regions.services import import_regions


@pytest.fixture
def ntb(db: Any) -> None:
    import_regions(["52"])


def test_ancestors_in_one_query(ntb: None, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        chain = selectors.region_ancestors("52.03.01.2001")
    assert [(r.code, r.name) for r in chain] == [
        ("52", "Nusa Tenggara Barat"),
        ("52.03", "Kabupaten Lombok Timur"),
        ("52.03.01", "Keruak"),
    ]
    with django_assert_num_queries(1):
        region, above = selectors.region_with_ancestors("5203012001")
    assert region is not None and region.name == "Tanjung Luar" and [r.level for r in above] == [1, 2, 3]


def test_descendants_in_one_query(ntb: None, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        below = list(selectors.region_descendants("52.03"))
    assert len(below) > 250 and all(r.code.startswith("52.03.") for r in below)
    assert {r.level for r in below} == {3, 4}
    with django_assert_num_queries(1):
        villages = selectors.region_descendants("52").filter(level=4).count()
    assert villages == 1166  # NTB's desa and kelurahan (Kepmendagri 2025)


def test_chains_for_a_whole_list_in_one_query(ntb: None, django_assert_num_queries: Any) -> None:
    regions = list(Region.objects.filter(level=4)[:40])
    with django_assert_num_queries(1):
        chains = selectors.region_chains(regions)
    assert all(len(chains[r.code]) == 3 for r in regions)


def test_search_by_name_code_and_scope(ntb: None) -> None:
    assert selectors.region_search("tanjung luar", level=4)[0].code == "52.03.01.2001"
    assert [r.code for r in selectors.region_search("52.03.01.2001")] == ["52.03.01.2001"]
    by_prefix = selectors.region_search("52.72")
    assert by_prefix[0].code == "52.72" and by_prefix[0].name == "Kota Bima"
    within = selectors.region_search("a", within="52.06", level=4, limit=50)
    assert within and all(r.code.startswith("52.06.") for r in within)
    assert selectors.region_search("") == []


def test_kinds_and_time_zone(ntb: None) -> None:
    assert Region.objects.get(code="52.06").kind == "kabupaten"
    assert Region.objects.get(code="52.72").kind == "kota"
    kinds = set(Region.objects.filter(level=4).values_list("kind", flat=True))
    assert kinds == {"desa", "kelurahan"}
    assert set(Region.objects.values_list("timezone", flat=True)) == {"Asia/Makassar"}  # WITA


def test_api_search_and_detail(ntb: None) -> None:
    client = APIClient()
    rows = client.get("/api/v1/regions/", {"q": "tanjung luar", "level": 4}).json()
    first = rows[0]
    assert first["code"] == "52.03.01.2001" and first["kind"] == "desa" and first["kind_display"] == "Desa"
    assert first["path"] == "Keruak, Kabupaten Lombok Timur, Nusa Tenggara Barat"
    provinces = client.get("/api/v1/regions/").json()
    assert [p["code"] for p in provinces] == ["52"]
    children = client.get("/api/v1/regions/", {"parent": "52"}).json()
    assert len(children) == 10 and {c["level"] for c in children} == {2}
    detail = client.get("/api/v1/regions/52.03.01/").json()
    assert [a["code"] for a in detail["ancestors"]] == ["52", "52.03"]
    assert detail["zone"] == "WITA" and detail["kind"] == "kecamatan"
    assert "52.03.01.2001" in {c["code"] for c in detail["children"]}
    assert client.get("/api/v1/regions/5203012001/").json()["name"] == "Tanjung Luar"
    missing = client.get("/api/v1/regions/99.99/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert client.get("/api/v1/regions/", {"limit": 500}).status_code == 400


def test_api_search_has_a_fixed_query_count(ntb: None, django_assert_max_num_queries: Any) -> None:
    client = APIClient()
    with django_assert_max_num_queries(4):
        rows = client.get("/api/v1/regions/", {"q": "an", "limit": 50}).json()
    assert len(rows) == 50


def test_categories_api_in_the_callers_language(db: Any) -> None:
    rows = APIClient().get("/api/v1/categories/").json()
    assert rows[0] == {"slug": "instalasi-hosting", "name": "Instalasi & Hosting"}
    assert len(rows) == 11
    english = APIClient().get("/api/v1/categories/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english[0]["name"] == "Installation & hosting"
