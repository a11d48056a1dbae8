"""`GET /api/v1/kb/search/`, `/kb/suggest/` and `/kb/entries/{id}/`: anonymous, the contract's shape, and every
bad input answered with a 400/413 or searched as plain text — never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from helpdesk.kb import services
from helpdesk.kb.models import Entry
from tests.kb.conftest import World, client_for, fresh, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(world: World) -> list[Entry]:
    return [
        publish(world, title="Gagal impor data penduduk dari Excel", region="52.03",
                answer="Potong isian kolom nama menjadi maksimal 100 karakter, lalu impor ulang.", versions="v2410.0.0"),
        publish(world, title="Surat keterangan domisili error 500 saat dicetak", category="surat-tte",
                answer="Unggah ulang template surat bawaan di pengaturan surat.", region="52.03.01.2001"),
        publish(world, title="Impor data keluarga dari Excel tidak lengkap", region="52.06",
                answer="Pastikan nomor KK ditulis sebagai teks di Excel supaya angka nol di depan tidak hilang."),
    ]


def get(path: str, **params: Any) -> Any:
    return APIClient().get(path, params)


def test_search_shape_best_first_and_anonymous(entries: list[Entry]) -> None:
    response = get("/api/v1/kb/search/", q="gagal impor penduduk excel")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "total", "backend", "fallback"}
    assert body["total"] >= 2
    first = body["results"][0]
    assert set(first) == {"id", "external_id", "title", "snippet", "score", "url"}
    assert first["id"] == entries[0].pk
    assert first["external_id"] is None
    assert first["title"] == "Gagal impor data penduduk dari Excel"
    assert "<mark>" in first["snippet"]
    assert isinstance(first["score"], float)
    assert first["url"] == f"http://testserver{entries[0].get_absolute_url()}"
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_filters_category_region_version_and_limit(entries: list[Entry]) -> None:
    ids = lambda **p: [r["id"] for r in get("/api/v1/kb/search/", q="impor excel", **p).json()["results"]]  # noqa: E731
    assert set(ids()) == {entries[0].pk, entries[2].pk}
    assert ids(region="52.03") == [entries[0].pk]
    assert ids(region="52.06") == [entries[2].pk]
    assert ids(category="surat-tte") == []
    assert ids(version="v2409") == [entries[2].pk]  # the other applies to 2410 only; no versions = every version
    assert len(ids(limit=1)) == 1
    assert ids(category="tidak-ada") == []


@pytest.mark.parametrize("q", [
    "title:*", '"', "(", "OR OR", "\\", "impor\" OR 1=1 --", "'; DROP TABLE kb_entry; --", "😀 impor 🙏",
    "a" * 10_000, "NEAR(impor penduduk)", "impor*", "-penduduk", "\x00impor", "%_%", "{{7*7}}", "<script>x</script>",
])
def test_engine_syntax_sql_and_emoji_are_plain_text(entries: list[Entry], q: str) -> None:
    response = get("/api/v1/kb/search/", q=q)
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"results", "total", "backend", "fallback"}
    response = get("/api/v1/kb/suggest/", q=q)
    assert response.status_code == 200, response.content
    assert Entry.objects.count() == 3


def test_sql_quote_still_finds_the_words(entries: list[Entry]) -> None:
    body = get("/api/v1/kb/search/", q="impor' penduduk\"").json()
    assert body["results"][0]["id"] == entries[0].pk


@pytest.mark.parametrize(("params", "status", "field"), [
    ({}, 400, "q"),
    ({"q": ""}, 400, "q"),
    ({"q": "   "}, 400, "q"),
    ({"q": "impor", "limit": "100000"}, 400, "limit"),
    ({"q": "impor", "limit": "0"}, 400, "limit"),
    ({"q": "impor", "limit": "-1"}, 400, "limit"),
    ({"q": "impor", "limit": "sepuluh"}, 400, "limit"),
    ({"q": "impor", "limit": "1e9"}, 400, "limit"),
    ({"q": "impor", "offset": "-5"}, 400, "offset"),
    ({"q": "impor", "offset": "99999999999999999999"}, 400, "offset"),
    ({"q": "impor", "region": "NTB"}, 400, "region"),
    ({"q": "impor", "region": "52.3"}, 400, "region"),
    ({"q": "impor", "category": "Kependudukan & Impor"}, 400, "category"),
    ({"q": "impor", "version": "terbaru!"}, 400, "version"),
    ({"q": "a" * 10_001}, 413, None),
])
def test_bad_parameters(entries: list[Entry], params: dict[str, str], status: int, field: str | None) -> None:
    for path in ("/api/v1/kb/search/", "/api/v1/kb/suggest/"):
        if path.endswith("suggest/") and field in ("region", "category", "version", "offset"):
            continue  # suggest takes only q (and limit)
        response = get(path, **params)
        assert response.status_code == status, (path, response.content)
        body = response.json()
        assert set(body) >= {"detail", "code"}
        if field:
            assert field in body["fields"]
        else:
            assert body["code"] == "query_too_long" and "fields" not in body


def test_search_does_a_fixed_number_of_queries(world: World) -> None:
    for i in range(12):
        publish(world, title=f"Sinkronisasi OpenDK gagal kasus {i}", category="sinkronisasi",
                answer=f"Periksa token sinkronisasi OpenDK dan jam server ({i}).")
    client = APIClient()
    client.get("/api/v1/kb/search/", {"q": "sinkronisasi opendk"})  # warm the per-process vocabulary cache
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/v1/kb/search/", {"q": "sinkronisasi opendk", "limit": 2}).json()["results"]) == 2
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/kb/search/", {"q": "sinkronisasi opendk", "limit": 12}).json()["results"]) == 12
    assert len(many) == len(few)


def test_the_published_check_drops_archived_and_deleted_entries_in_one_query(entries: list[Entry]) -> None:
    """What the index found is confirmed against the database: an archived entry, or one deleted since it was
    indexed, is dropped whatever the index says."""
    from helpdesk.kb.models import EntryStatus
    from helpdesk.kb.selectors import published_ids

    kept, archived, deleted = entries
    Entry.objects.filter(pk=archived.pk).update(status=EntryStatus.ARCHIVED)
    gone = deleted.pk
    Entry.objects.filter(pk=gone).delete()
    assert published_ids([]) == set()
    assert published_ids([gone, archived.pk, kept.pk]) == {kept.pk}
    with CaptureQueriesContext(connection) as queries:
        published_ids([kept.pk, archived.pk])
    assert len(queries) == 1


def test_suggest_returns_at_most_five_similar_answers(world: World) -> None:
    for i in range(8):
        publish(world, title=f"Impor data penduduk gagal pada baris {i}",
                answer="Periksa kolom NIK sebagai teks, lalu impor ulang file Excel penduduk.")
    publish(world, title="Peta wilayah tidak tampil", category="peta-wilayah", answer="Isi koordinat desa.")
    response = get("/api/v1/kb/suggest/", q="Saya mau impor data penduduk dari file excel tapi gagal terus di baris 20")
    assert response.status_code == 200
    results = response.json()["results"]
    assert 1 <= len(results) <= 5
    assert all("Impor data penduduk" in r["title"] for r in results)
    assert set(results[0]) == {"id", "external_id", "title", "snippet", "score", "url"}


def test_entry_detail(world: World, entries: list[Entry]) -> None:
    response = get(f"/api/v1/kb/entries/{entries[0].pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == entries[0].title and body["status"] == "published"
    assert body["category"] == "kependudukan" and body["region_code"] == "52.03" and body["versions"] == ["2410.0.0"]
    assert "mask_findings" not in body and "<p>" in body["answer_html"]
    assert get("/api/v1/kb/entries/999999/").status_code == 404

    draft = services.entry_create(actor=fresh(world.vol_lotim), data=services.EntryInput(
        title="Draf rahasia", answer="Belum terbit.")).entry
    assert get(f"/api/v1/kb/entries/{draft.pk}/").status_code == 404
    assert client_for(world.vol_bima).get(f"/api/v1/kb/entries/{draft.pk}/").status_code == 404
    assert client_for(world.vol_lotim).get(f"/api/v1/kb/entries/{draft.pk}/").json()["status"] == "draft"
    assert client_for(world.coord_lotim).get(f"/api/v1/kb/entries/{draft.pk}/").status_code == 200


def test_schema_lists_the_kb_endpoints(db: Any) -> None:
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/kb/search/", "/api/v1/kb/suggest/", "/api/v1/kb/entries/{entry_id}/"):
        assert path in schema
