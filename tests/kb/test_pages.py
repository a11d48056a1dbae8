"""Public pages without an account: KB home, entry, search; SEO metadata; helpful votes once per person or
session; views; fixed query counts; bad search input is a page with a message, never a 500."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk.kb.models import Entry, EntryVote
from tests.kb.conftest import World, publish, web

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(world: World) -> Entry:
    return publish(world, title="Gagal impor data penduduk dari Excel", tags="impor, excel", versions="v2410.0.0",
                   question="Impor penduduk berhenti dengan galat Data too long for column.",
                   answer="Potong isian **kolom nama** menjadi maksimal 100 karakter, lalu impor ulang.")


def meta(html: str, prop: str) -> str:
    m = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)"', html)
    return m.group(1) if m else ""


def test_entry_page_is_public_with_seo_metadata(world: World, entry: Entry) -> None:
    response = web().get(entry.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Gagal impor data penduduk dari Excel · SID Helpdesk</title>" in html
    assert f'<link rel="canonical" href="http://127.0.0.1:8000{entry.get_absolute_url()}">' in html
    assert meta(html, "og:title") == "Gagal impor data penduduk dari Excel"
    assert meta(html, "og:type") == "article"
    assert meta(html, "description").startswith("Potong isian kolom nama menjadi maksimal 100 karakter")
    assert meta(html, "og:description") == meta(html, "description")
    assert 'name="robots"' not in html
    assert "<strong>kolom nama</strong>" in html  # Markdown, sanitised
    assert "<script" not in html.split("</footer>")[0]  # no script on public KB pages (live.js is for members)
    assert len(response.content) < 30_000
    entry.refresh_from_db()
    assert entry.views == 1


def test_the_way_to_report_a_problem_is_offered_to_who_can_report(world: World, entry: Entry) -> None:
    # Anonymous: through the sign-in; an operator: the form; a volunteer or an admin would meet a 403 there.
    nothing = {"q": "zzzqqqx"}
    assert "/masuk/?next=/tiket/baru/" in web().get(entry.get_absolute_url()).content.decode()
    for person, offered in ((world.op_a, True), (world.vol_lotim, False), (world.admin, False)):
        page, none_found = (web(person).get(entry.get_absolute_url()).content.decode(),
                            web(person).get("/kb/cari/", nothing).content.decode())
        assert ('href="/tiket/baru/"' in page) is offered and ("Laporkan ke relawan" in page) is offered
        assert "Tidak ada yang cocok" in none_found and ('href="/tiket/baru/"' in none_found) is offered


def test_wrong_slug_and_short_url_redirect_to_the_canonical_page(entry: Entry) -> None:
    response = web().get(f"/kb/{entry.pk}/judul-lama/?saran=5")
    assert response.status_code == 301 and response["Location"] == f"{entry.get_absolute_url()}?saran=5"
    assert web().get(f"/kb/{entry.pk}/")["Location"] == entry.get_absolute_url()
    assert web().get("/kb/999999/x/").status_code == 404


def test_home_lists_categories_and_most_helpful_with_fixed_queries(world: World, entry: Entry) -> None:
    for i in range(5):
        publish(world, title=f"Surat keterangan usaha gagal dicetak {i}", category="surat-tte", answer="Template.")
    client = web()
    client.get("/kb/")  # fills the category-count cache
    with CaptureQueriesContext(connection) as few:
        assert client.get("/kb/").status_code == 200
    for i in range(10):
        publish(world, title=f"Peta tidak tampil {i}", category="peta-wilayah", answer="Koordinat.")
    with CaptureQueriesContext(connection) as many:
        html = client.get("/kb/").content.decode()
    assert len(many) == len(few)
    assert "Paling membantu" in html and "Kependudukan &amp; Impor Data" in html
    assert meta(html, "og:title") == "Basis Pengetahuan OpenSID"


def test_search_page_highlights_filters_and_pages(world: World, entry: Entry) -> None:
    for i in range(12):
        publish(world, title=f"Impor data keluarga gagal kasus {i}", answer="Nomor KK sebagai teks.")
    html = web().get("/kb/cari/", {"q": "impor keluarga"}).content.decode()
    assert "<mark>" in html and 'name="robots" content="noindex, follow"' in html
    assert "halaman=2" in html
    second = web().get("/kb/cari/", {"q": "impor keluarga", "halaman": "2"}).content.decode()
    assert 'start="11"' in second
    filtered = web().get("/kb/cari/", {"q": "impor", "category": "surat-tte"}).content.decode()
    assert "Tidak ada yang cocok" in filtered


@pytest.mark.parametrize(("params", "status"), [
    ({"q": "impor", "region": "NTB"}, 400), ({"q": "impor", "version": "!!"}, 400), ({"q": "x" * 10_001}, 413),
    ({"q": "title:* OR OR \" ( \\ '; 😀"}, 200), ({"q": ""}, 200), ({"q": "impor", "halaman": "-3"}, 200),
])
def test_search_page_bad_input_is_never_a_500(entry: Entry, params: dict[str, str], status: int) -> None:
    assert web().get("/kb/cari/", params).status_code == status


def test_helpful_votes_once_per_session_and_per_account(world: World, entry: Entry) -> None:
    visitor = web()
    visitor.get(entry.get_absolute_url())
    assert visitor.post(f"/kb/{entry.pk}/suara/", {"membantu": "ya"}).status_code == 302
    visitor.post(f"/kb/{entry.pk}/suara/", {"membantu": "ya"})
    entry.refresh_from_db()
    assert (entry.helpful_yes, entry.helpful_no, entry.helpful_score) == (1, 0, 1)
    visitor.post(f"/kb/{entry.pk}/suara/", {"membantu": "tidak"})  # changing one's mind
    entry.refresh_from_db()
    assert (entry.helpful_yes, entry.helpful_no, entry.helpful_score) == (0, 1, -1)
    web().post(f"/kb/{entry.pk}/suara/", {"membantu": "ya"})  # another browser
    operator = web(world.op_a)
    operator.post(f"/kb/{entry.pk}/suara/", {"membantu": "ya"})
    operator.post(f"/kb/{entry.pk}/suara/", {"membantu": "ya"})
    entry.refresh_from_db()
    assert (entry.helpful_yes, entry.helpful_no) == (2, 1)
    assert EntryVote.objects.count() == 3
    page = operator.get(entry.get_absolute_url()).content.decode()
    assert 'aria-pressed="true">Ya, membantu' in page
    assert operator.post(f"/kb/{entry.pk}/suara/", {"membantu": "mungkin"}).status_code == 302
    assert EntryVote.objects.count() == 3


def test_votes_need_csrf(entry: Entry) -> None:
    from django.test import Client

    assert Client(enforce_csrf_checks=True).post(f"/kb/{entry.pk}/suara/", {"membantu": "ya"}).status_code == 403


def test_kb_search_command(world: World, entry: Entry, capsys: Any) -> None:
    from django.core.management import call_command

    call_command("kb_search", "impor penduduk")
    out = capsys.readouterr().out
    assert "1. Gagal impor data penduduk dari Excel" in out and entry.get_absolute_url() in out
    call_command("kb_search", "tidak ada hasilnya zzqx")
    assert "Tidak ada hasil." in capsys.readouterr().out
