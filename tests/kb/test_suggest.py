"""Suggestions while filing a ticket: the live API (with deflection logging), the no-JavaScript step "Sebelum
mengirim, apakah ini jawabannya?", opening a suggestion, filing anyway, and the admin's count; similar answers on
the ticket page for volunteers."""

from __future__ import annotations

import re

import pytest

from helpdesk.kb.models import DeflectionLog, Entry
from helpdesk.tickets.models import Ticket
from tests.kb.conftest import World, publish, web

pytestmark = pytest.mark.django_db

TICKET = {"title": "Impor data penduduk dari Excel gagal terus",
          "description": "Setiap impor file excel penduduk berhenti, muncul Data too long for column.",
          "category": "kependudukan", "priority": "normal", "hosting": "vps", "visibility": "private",
          "opensid_version": ""}


@pytest.fixture
def answer(world: World) -> Entry:
    publish(world, title="Peta wilayah desa tidak tampil", category="peta-wilayah", answer="Isi koordinat kantor desa.")
    return publish(world, title="Gagal impor data penduduk dari Excel: Data too long for column",
                   answer="Potong isian kolom nama jadi maksimal 100 karakter, lalu impor ulang file Excel.")


def test_without_javascript_the_form_asks_before_sending(world: World, answer: Entry) -> None:
    client = web(world.op_a)
    response = client.post("/tiket/baru/", TICKET)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sebelum mengirim, apakah ini jawabannya?" in html
    assert "Tetap kirim tiket" in html and 'name="confirm" value="1"' in html
    assert Ticket.objects.count() == 0
    link = re.search(rf'href="(/kb/{answer.pk}/[^"]+\?saran=(\d+))"', html)
    assert link, html
    log = DeflectionLog.objects.get(pk=int(link.group(2)))
    assert log.entry == answer and log.channel == "form" and log.opened_at is None
    # The form keeps what was typed.
    assert 'value="Impor data penduduk dari Excel gagal terus"' in html

    assert client.get(link.group(1)).status_code == 200
    log.refresh_from_db()
    assert log.opened_at is not None
    # Sending anyway files the ticket, and the session's suggestions record that a ticket followed.
    response = client.post("/tiket/baru/", {**TICKET, "confirm": "1"})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    log.refresh_from_db()
    assert log.ticket == ticket and log.filed_at is not None


def test_no_match_no_step(world: World, answer: Entry) -> None:
    response = web(world.op_a).post("/tiket/baru/", {**TICKET, "title": "Printer termal anjungan macet",
                                                      "description": "Kertas struk antrean tersangkut."})
    assert response.status_code == 302
    assert Ticket.objects.count() == 1 and DeflectionLog.objects.count() == 0


def test_suggestions_already_shown_by_the_script_skip_the_step(world: World, answer: Entry) -> None:
    response = web(world.op_a).post("/tiket/baru/", {**TICKET, "saran_dilihat": "1"})
    assert response.status_code == 302 and Ticket.objects.count() == 1


def test_live_suggestions_are_logged_per_session_and_deflection_is_counted(world: World, answer: Entry) -> None:
    client = web(world.op_a)
    client.get("/tiket/baru/")
    for _ in range(3):  # the script asks again as the operator types
        response = client.get("/api/v1/kb/suggest/", {"q": TICKET["title"] + "\n" + TICKET["description"]})
        results = response.json()["results"]
    assert results[0]["id"] == answer.pk
    log_id = int(results[0]["url"].rsplit("saran=", 1)[1])
    log = DeflectionLog.objects.get(pk=log_id)
    assert log.shown_count == 3 and log.channel == "live" and log.user == world.op_a
    # Another session cannot mark it opened.
    web(world.op_b).get(results[0]["url"].replace("http://testserver", ""))
    log.refresh_from_db()
    assert log.opened_at is None
    client.get(results[0]["url"].replace("http://testserver", ""))
    log.refresh_from_db()
    assert log.opened_at is not None and log.ticket is None
    # The operator found the answer and filed nothing: the admin sees one deflected ticket.
    home = web(world.admin).get("/kb/").content.decode()
    assert re.search(r"<strong>1</strong> dibuka tanpa tiket", home), home
    assert "dibuka tanpa tiket" not in web(world.op_a).get("/kb/").content.decode()


def test_anonymous_suggest_without_a_session_logs_nothing(world: World, answer: Entry) -> None:
    from rest_framework.test import APIClient

    results = APIClient().get("/api/v1/kb/suggest/", {"q": TICKET["title"]}).json()["results"]
    assert results and "saran=" not in results[0]["url"]
    assert DeflectionLog.objects.count() == 0


def test_similar_answers_on_the_ticket_page_for_volunteers(world: World, answer: Entry) -> None:
    ticket = world.ticket(title=TICKET["title"], description=TICKET["description"])
    html = web(world.vol_lotim).get(ticket.get_absolute_url()).content.decode()
    assert "Jawaban serupa yang sudah terbit" in html and answer.get_absolute_url() in html
    reporter_html = web(world.op_a).get(ticket.get_absolute_url()).content.decode()
    assert answer.get_absolute_url() not in reporter_html


def test_a_failing_search_never_keeps_an_operator_from_filing(world: World, answer: Entry,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.kb import selectors

    def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("search engine down")

    monkeypatch.setattr(selectors, "suggest_entries", broken)
    response = web(world.op_a).post("/tiket/baru/", TICKET)
    assert response.status_code == 302 and Ticket.objects.count() == 1
    ticket = Ticket.objects.get()
    assert web(world.vol_lotim).get(ticket.get_absolute_url()).status_code == 200
