"""Search that learns from use: searches are logged without personal data, coordinators see the ones without an
answer grouped by wording, add a synonym or judge an answer from that page, and the same search then finds it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk.kb import learning, searchlog
from helpdesk.kb.models import SearchJudgement, SearchLog
from helpdesk.notifications.models import Notification
from search.models import Synonym
from tests.kb.conftest import World, publish, web

pytestmark = pytest.mark.django_db


def test_the_learning_loop_through_the_front_door(world: World, tmp_path: Path) -> None:
    entry = publish(world, title="Pendopo desa tidak tampil di peta", answer="Isi koordinat pendopo di menu Peta.")
    visitor = web()
    first = visitor.get("/kb/cari/", {"q": "gasebo rusak"})
    assert first.status_code == 200 and "Pendopo desa" not in first.content.decode()
    visitor.get("/kb/cari/", {"q": "Gasebo"})
    logged = SearchLog.objects.order_by("pk")
    assert [(r.query, r.results, r.channel, r.user_id) for r in logged] == [
        ("gasebo rusak", 0, "web", None), ("Gasebo", 0, "web", None)]

    coordinator = web(world.coord_lotim)
    page = coordinator.get("/kb/pencarian/", {"hari": 7})
    assert page.status_code == 200
    body = page.content.decode()
    assert "gasebo rusak" in body and "Gasebo" in body  # two groups: different analysed terms
    key = searchlog.group_key("gasebo")

    added = coordinator.post("/kb/pencarian/sinonim/", {"aturan": "gasebo, pendopo", "kelompok": key, "hari": 7})
    assert added.status_code == 302
    target = urlparse(added["Location"])
    assert parse_qs(target.query)["cek"] == [key]
    assert Synonym.objects.filter(rule="gasebo, pendopo").exists()
    rechecked = coordinator.get(f"{target.path}?{target.query}").content.decode()
    assert "Dicari lagi sekarang" in rechecked and "Pendopo desa tidak tampil di peta" in rechecked

    again = web().get("/kb/cari/", {"q": "gasebo rusak"}).content.decode()
    assert "tampil di peta" in again

    judged = coordinator.post("/kb/pencarian/nilai/", {"kelompok": key, "kata": "Gasebo", "entri": entry.pk,
                                                        "hari": 7})
    assert judged.status_code == 302
    assert SearchJudgement.objects.get().entry_id == entry.pk
    out = tmp_path / "judged.jsonl"
    call_command("kb_export_judged", "--output", str(out))
    assert [json.loads(line) for line in out.read_text().splitlines()] == [
        {"query": "Gasebo", "relevant": [f"kb-{entry.pk}"],
         "judged_at": SearchJudgement.objects.get().judged_at.isoformat()}]


def test_a_bad_synonym_is_refused_with_the_admins_message(world: World) -> None:
    web().get("/kb/cari/", {"q": "gasebo"})
    response = web(world.coord_lotim).post("/kb/pencarian/sinonim/", {"aturan": "=> pendopo", "hari": 30},
                                           follow=True)
    assert "Sinonim tidak disimpan" in response.content.decode()
    assert not Synonym.objects.filter(rule__contains="pendopo").exists()


def test_only_coordinators_and_admins_see_the_page(world: World) -> None:
    assert web(world.op_a).get("/kb/pencarian/").status_code == 403
    assert web(world.vol_lotim).post("/kb/pencarian/sinonim/", {"aturan": "a, b"}).status_code == 403
    assert web().get("/kb/pencarian/").status_code == 302
    assert web(world.admin).get("/kb/pencarian/").status_code == 200
    assert "/kb/pencarian/" in web(world.coord_lotim).get("/kb/").content.decode()
    assert "/kb/pencarian/" not in web(world.op_a).get("/kb/").content.decode()


def test_the_log_holds_no_personal_data_and_no_user_for_anonymous_callers(world: World) -> None:
    APIClient().get("/api/v1/kb/search/", {"q": "NIK 5203012345670002 hp 081234567890 gagal"})
    row = SearchLog.objects.get()
    assert "5203012345670002" not in row.query and "081234567890" not in row.query
    assert row.channel == "api" and row.user_id is None and row.session_hash == ""
    APIClient().get("/api/v1/kb/search/", {"q": "gagal", "offset": 10})  # later pages are not new searches
    assert SearchLog.objects.count() == 1
    web(world.op_a).get("/kb/cari/", {"q": "gagal impor"})
    signed = SearchLog.objects.latest("pk")
    assert signed.user_id == world.op_a.pk and signed.session_hash


def test_an_opened_result_takes_the_group_off_the_page_and_a_ticket_after_it_is_noted(world: World) -> None:
    entry = publish(world, title="Gagal impor data penduduk", answer="Potong kolom nama.")
    operator = web(world.op_a)
    page = operator.get("/kb/cari/", {"q": "impor penduduk"}).content.decode()
    log = SearchLog.objects.get()
    assert f"?cari={log.pk}" in page
    assert [g.key for g in learning.unanswered_groups(days=7)] == [log.group_key]  # found, but nobody opened it
    assert web().get(f"{entry.get_absolute_url()}?cari={log.pk}").status_code == 200  # another session: ignored
    log.refresh_from_db()
    assert log.opened_at is None
    operator.get(f"{entry.get_absolute_url()}?cari={log.pk}")
    log.refresh_from_db()
    assert log.opened_entry_id == entry.pk and log.opened_at is not None
    assert learning.unanswered_groups(days=7) == []
    APIClient().get("/api/v1/kb/search/", {"q": "gagal impor penduduk"})  # found; the API cannot say if opened
    assert learning.unanswered_groups(days=7) == []

    response = operator.post("/tiket/baru/", {
        "title": "Impor penduduk tetap gagal", "description": "Sudah dicoba.", "category": "kependudukan",
        "priority": "normal", "hosting": "vps", "visibility": "private", "opensid_version": "", "saran_dilihat": "1",
        "confirm": "1"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    log.refresh_from_db()
    assert log.ticket_filed_at is not None


def test_old_rows_are_purged_after_the_retention(world: World, settings: object) -> None:
    web().get("/kb/cari/", {"q": "gasebo"})
    SearchLog.objects.update(created_at=timezone.now() - timedelta(days=181))
    web().get("/kb/cari/", {"q": "pendopo"})
    assert searchlog.purge_expired() == 1
    assert list(SearchLog.objects.values_list("query", flat=True)) == ["pendopo"]


def test_the_weekly_digest_goes_once_a_week_to_each_coordinator(world: World) -> None:
    web().get("/kb/cari/", {"q": "gasebo"})
    assert learning.send_digest() >= 1
    sent = Notification.objects.filter(type="kb_search_digest")
    assert sent.filter(user=world.coord_lotim).count() == 1
    assert "gasebo" in sent.get(user=world.coord_lotim).text
    assert learning.send_digest() == 0  # the same week again: nothing new
    assert Notification.objects.filter(type="kb_search_digest", user=world.coord_lotim).count() == 1


def test_search_eval_reads_the_exported_judged_queries(world: World, tmp_path: Path) -> None:
    from tests.search_eval.core import EvalQuery, load_judged

    entry = publish(world, title="Pendopo desa tidak tampil di peta", answer="Isi koordinat pendopo.")
    entry.external_id = "4353"
    entry.save(update_fields=["external_id"])
    other = publish(world, title="Gagal impor data penduduk", answer="Potong kolom nama.")
    for text in ("pendopo hilang", "impor macet"):
        web().get("/kb/cari/", {"q": text})
    learning.judge(actor=world.coord_lotim, key=searchlog.group_key("pendopo hilang"), query="pendopo hilang",
                   entry_id=entry.pk)
    learning.judge(actor=world.coord_lotim, key=searchlog.group_key("impor macet"), query="impor macet",
                   entry_id=other.pk)
    out = tmp_path / "judged.jsonl"
    call_command("kb_export_judged", "--output", str(out))
    queries, skipped = load_judged(out, {"4353", "1032"})
    assert queries == [EvalQuery("pendopo hilang", frozenset({"4353"}))] and skipped == 1


def test_the_digest_and_the_purge_are_periodic_jobs() -> None:
    from datetime import timedelta as td

    from helpdesk.core.scheduler import registered_schedules

    schedules = registered_schedules()
    assert schedules["kb.search_digest"].every == td(days=7)
    assert schedules["kb.search_log_purge"].every == td(days=1)
