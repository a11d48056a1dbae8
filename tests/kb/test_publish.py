"""Where entries come from and how they get published: "Terbitkan ke basis pengetahuan" from a solved ticket
(prefilled, masked, adjustable), written directly, the coordinator's approval, auto-publish for trusted
volunteers, rejection, archiving — through the web pages, as volunteers use them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rest_framework.test import APIClient

from helpdesk.community.models import ReputationEvent
from helpdesk.kb import services
from helpdesk.kb.forms import sign_findings, unsign_findings
from helpdesk.kb.masking import Finding
from helpdesk.kb.models import Entry, EntryStatus, ForumKbSettings
from helpdesk.notifications.models import Notification
from helpdesk.tickets.models import Status
from tests.factories import volunteer
from tests.kb.conftest import World, fresh, solved_ticket, web

pytestmark = pytest.mark.django_db

PII_DESCRIPTION = (
    "Sy Operator Tanjung Luar, impor penduduk gagal utk warga NIK 5203.0123.4567.0002 (KK 5203 0123 4567 0009). "
    "Hubungi sy di 0812-3456-7890 atau tanjungluar@gmail.com."
)


def found(query: str) -> list[int]:
    return [r["id"] for r in APIClient().get("/api/v1/kb/search/", {"q": query}).json()["results"]]


def form_data(page: Any, **override: str) -> dict[str, Any]:
    """The editor's fields as the page shows them (what a browser would send back)."""
    html = page.content.decode()
    data: dict[str, Any] = {}
    for name in ("title", "tags", "versions", "findings_token"):
        m = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(rf'value="([^"]*)"[^>]*name="{name}"', html)
        data[name] = _unescape(m.group(1)) if m else ""
    for name in ("question", "answer"):
        m = re.search(rf'<textarea name="{name}"[^>]*>\n?(.*?)</textarea>', html, re.S)
        data[name] = _unescape(m.group(1)) if m else ""
    for name in ("category", "origin_region"):
        m = re.search(rf'<select name="{name}".*?<option value="([^"]*)" selected', html, re.S)
        data[name] = m.group(1) if m else ""
    data.update(override)
    return data


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_publish_from_a_solved_ticket_prefills_masks_and_waits_for_the_coordinator(world: World) -> None:
    ticket = solved_ticket(world, description=PII_DESCRIPTION,
                           answer="Halo Operator Tanjung Luar, kolom nama maks 100 karakter. Salam, Budi Relawan.")
    volunteer_web = web(world.vol_lotim)
    page = volunteer_web.get(f"/kb/baru/?ticket={ticket.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    for secret_in_text in ("5203.0123.4567.0002", "0812-3456-7890", "tanjungluar@gmail.com"):
        assert html.count(secret_in_text) == 1  # only in the findings table, never in the text fields
    assert "[NIK_1]" in html and "[NO_KK_1]" in html and "[NO_HP_1]" in html and "[EMAIL_1]" in html
    assert "[NAMA_" in html  # the reporter's and the volunteer's names
    data = form_data(page, aksi="ajukan")
    assert "Budi Relawan" not in data["answer"] and "Operator Tanjung Luar" not in data["question"]
    assert data["category"] == "kependudukan" and data["origin_region"] == "52.03.01.2001"

    response = volunteer_web.post(f"/kb/baru/?ticket={ticket.pk}", data)
    entry = Entry.objects.get(source_ticket=ticket)
    assert response.status_code == 302 and response["Location"] == entry.get_absolute_url()
    assert entry.status == EntryStatus.DRAFT and entry.review_requested_at is not None
    assert entry.forum == world.lotim and entry.author == world.vol_lotim and entry.source == "ticket"
    assert "5203" not in entry.question and "0812" not in entry.question and "Budi" not in entry.answer
    assert found("impor penduduk") == []
    assert Notification.objects.filter(user=world.coord_lotim, type="kb_review_request").exists()
    # The coordinator sees it in the queue and approves it.
    queue = web(world.coord_lotim).get("/kb/tinjau/")
    assert entry.title in queue.content.decode()
    approve = web(world.coord_lotim).post(f"/kb/{entry.pk}/aksi/setujui/", {"next": "/kb/tinjau/"})
    assert approve.status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PUBLISHED and entry.reviewed_by == world.coord_lotim
    assert found("impor penduduk gagal") == [entry.pk]
    assert Notification.objects.filter(user=world.vol_lotim, type="kb_reviewed").exists()
    assert ReputationEvent.objects.filter(user=world.vol_lotim, key=f"kb:{entry.pk}:{world.vol_lotim.pk}").exists()
    # Publishing the same ticket again leads to the entry.
    again = volunteer_web.get(f"/kb/baru/?ticket={ticket.pk}")
    assert again.status_code == 302 and again["Location"] in (f"/kb/{entry.pk}/ubah/", entry.get_absolute_url())


def test_editor_may_keep_a_value_and_sees_new_personal_data_before_submitting(world: World) -> None:
    ticket = solved_ticket(world, description="Hubungi kantor Dinas di kominfo@ntbprov.go.id untuk akun SIAK.")
    client = web(world.vol_lotim)
    data = form_data(client.get(f"/kb/baru/?ticket={ticket.pk}"))
    findings = unsign_findings(data["findings_token"])
    email = next(f for f in findings if f.kind == "EMAIL")
    data.update(keep=[email.placeholder], aksi="ajukan",
                answer=data["answer"] + "\n\nAtau telepon 0812 3456 7890.")
    response = client.post(f"/kb/baru/?ticket={ticket.pk}", data)
    entry = Entry.objects.get(source_ticket=ticket)
    assert "kominfo@ntbprov.go.id" in entry.question  # kept by the editor
    assert "0812" not in entry.answer and "[NO_HP_1]" in entry.answer
    # new personal data: saved as a draft, not submitted, and the editor says why
    assert response["Location"] == f"/kb/{entry.pk}/ubah/"
    assert entry.review_requested_at is None
    edit = client.get(f"/kb/{entry.pk}/ubah/")
    text = edit.content.decode()
    assert "0812 3456 7890" in text and "data pribadi ditemukan" in text
    # Submitting again goes through.
    client.post(f"/kb/{entry.pk}/ubah/", {**form_data(edit), "keep": [email.placeholder], "aksi": "ajukan"})
    entry.refresh_from_db()
    assert entry.awaiting_review and "kominfo@ntbprov.go.id" in entry.question


def test_a_tampered_findings_token_cannot_unmask_anything(world: World) -> None:
    ticket = solved_ticket(world, description="NIK 5203.0123.4567.0002 gagal dicetak.")
    client = web(world.vol_lotim)
    data = form_data(client.get(f"/kb/baru/?ticket={ticket.pk}"))
    forged = sign_findings([Finding("NIK", "5203.0123.4567.0002", "[NIK_1]")])[:-2] + "xx"
    client.post(f"/kb/baru/?ticket={ticket.pk}", {**data, "findings_token": forged, "keep": ["[NIK_1]"]})
    entry = Entry.objects.get(source_ticket=ticket)
    assert "5203" not in entry.question


def test_who_may_publish_from_a_ticket(world: World) -> None:
    ticket = solved_ticket(world)
    assert web(world.vol_bima).get(f"/kb/baru/?ticket={ticket.pk}").status_code == 404  # can't even see it
    assert web(world.op_a).get(f"/kb/baru/?ticket={ticket.pk}").status_code == 403  # the reporter
    assert web().get(f"/kb/baru/?ticket={ticket.pk}").status_code == 302  # sign in first
    assert web(world.coord_lotim).get(f"/kb/baru/?ticket={ticket.pk}").status_code == 200
    assert web(world.admin).get(f"/kb/baru/?ticket={ticket.pk}").status_code == 200
    assert web(world.vol_lotim).get("/kb/baru/?ticket=abc").status_code == 404
    open_ticket = world.ticket(title="Masih terbuka")
    assert web(world.vol_lotim).get(f"/kb/baru/?ticket={open_ticket.pk}").status_code == 403
    assert web(world.op_a).get("/kb/baru/").status_code == 403  # operators don't write entries


def test_ticket_page_offers_publish_to_volunteers_on_solved_tickets(world: World) -> None:
    ticket = solved_ticket(world)
    ticket.kb_candidate = False  # as for a ticket solved without the forum's accept step
    type(ticket).objects.filter(pk=ticket.pk).update(kb_candidate=False)
    html = web(world.vol_lotim).get(ticket.get_absolute_url()).content.decode()
    assert f"/kb/baru/?ticket={ticket.pk}" in html
    assert "Terbitkan ke basis pengetahuan" in html
    operator_html = web(world.op_a).get(ticket.get_absolute_url()).content.decode()
    assert "kb-panel" not in operator_html


def test_written_directly_by_a_volunteer_then_approved_by_a_parent_forums_coordinator(world: World) -> None:
    client = web(world.vol_lotim)
    assert client.get("/kb/baru/").status_code == 200
    response = client.post("/kb/baru/", {
        "title": "Cara mengganti logo desa di halaman web", "question": "",
        "answer": "Buka **Identitas Desa**, unggah logo PNG persegi, lalu simpan.", "category": "web-tampilan",
        "tags": "logo, Web Desa", "versions": "", "origin_region": "52.03", "aksi": "ajukan",
    })
    entry = Entry.objects.get(title="Cara mengganti logo desa di halaman web")
    assert response.status_code == 302 and entry.awaiting_review and entry.tags == ["logo", "web-desa"]
    assert entry.forum == world.lotim and entry.source == "manual"
    # Bima's coordinator may not approve Lombok Timur's entry; NTB's (the parent forum) may.
    coord_bima = volunteer(world.bima, role="coordinator", username="coord_bima")
    coord_ntb = volunteer(world.ntb, role="coordinator", username="coord_ntb")
    assert "Cara mengganti logo" not in web(coord_bima).get("/kb/tinjau/").content.decode()
    web(coord_bima).post(f"/kb/{entry.pk}/aksi/setujui/")
    entry.refresh_from_db()
    assert entry.awaiting_review
    assert "Cara mengganti logo" in web(coord_ntb).get("/kb/tinjau/").content.decode()
    assert "Cara mengganti logo" in web(world.admin).get("/kb/tinjau/").content.decode()
    web(coord_ntb).post(f"/kb/{entry.pk}/aksi/setujui/")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PUBLISHED
    assert web(world.vol_lotim).get("/kb/tinjau/").status_code == 403


def test_rejection_returns_the_draft_with_a_note(world: World) -> None:
    entry = services.entry_create(actor=fresh(world.vol_lotim), data=services.EntryInput(
        title="Impor gagal", answer="Coba lagi."), submit=True).entry
    web(world.coord_lotim).post(f"/kb/{entry.pk}/aksi/tolak/", {"catatan": "Tambahkan langkah dan pesan galatnya."})
    entry.refresh_from_db()
    assert entry.status == EntryStatus.DRAFT and entry.review_requested_at is None
    assert entry.review_note == "Tambahkan langkah dan pesan galatnya."
    page = web(world.vol_lotim).get(entry.get_absolute_url()).content.decode()
    assert "Tambahkan langkah dan pesan galatnya." in page
    # an illegal transition is refused with a message, not a crash
    response = web(world.coord_lotim).post(f"/kb/{entry.pk}/aksi/setujui/", follow=True)
    assert "Tidak bisa menyetujui entri yang berstatus draf" in response.content.decode()


def test_auto_publish_for_trusted_volunteers(world: World) -> None:
    settings_page = web(world.coord_lotim).get(f"/kb/pengaturan/{world.lotim.pk}/")
    assert settings_page.status_code == 200
    assert web(world.vol_lotim).get(f"/kb/pengaturan/{world.lotim.pk}/").status_code == 403
    web(world.coord_lotim).post(f"/kb/pengaturan/{world.lotim.pk}/", {"auto": "1", "trusted": [world.vol_lotim.pk,
                                                                                               world.vol_bima.pk]})
    row = ForumKbSettings.objects.get(forum=world.lotim)
    assert row.auto_publish_trusted and list(row.trusted.all()) == [world.vol_lotim]  # only the forum's members
    trusted = services.entry_create(actor=fresh(world.vol_lotim), data=services.EntryInput(
        title="Anjungan tidak bisa cetak antrean", answer="Pasang ulang driver printer termal.",
        category="layanan-mandiri", origin_region="52.03"), submit=True)
    assert trusted.outcome == "published"
    assert found("anjungan cetak antrean") == [trusted.entry.pk]
    other = services.entry_create(actor=fresh(world.vol2_lotim), data=services.EntryInput(
        title="Anjungan tidak bisa login", answer="Periksa PIN.", origin_region="52.03"), submit=True)
    assert other.outcome == "review"
    # Turned off: the trusted volunteer waits like everyone else.
    web(world.coord_lotim).post(f"/kb/pengaturan/{world.lotim.pk}/", {"trusted": [world.vol_lotim.pk]})
    later = services.entry_create(actor=fresh(world.vol_lotim), data=services.EntryInput(
        title="Antrean anjungan macet", answer="Mulai ulang aplikasi.", origin_region="52.03"), submit=True)
    assert later.outcome == "review"


def test_archiving_takes_an_entry_out_of_search_and_restoring_brings_back_a_draft(world: World) -> None:
    entry = services.entry_create(actor=fresh(world.coord_lotim), data=services.EntryInput(
        title="Sinkronisasi Prodeskel gagal", answer="Perbarui token Prodeskel.", origin_region="52.03"),
        submit=True).entry
    assert found("sinkronisasi prodeskel") == [entry.pk]
    web(world.coord_lotim).post(f"/kb/{entry.pk}/aksi/arsipkan/")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.ARCHIVED and found("sinkronisasi prodeskel") == []
    assert web().get(entry.get_absolute_url()).status_code == 404
    web(world.coord_lotim).post(f"/kb/{entry.pk}/aksi/pulihkan/")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.DRAFT and found("sinkronisasi prodeskel") == []


def test_author_cannot_edit_a_published_entry_but_a_reviewer_can(world: World) -> None:
    entry = services.entry_create(actor=fresh(world.vol_lotim), data=services.EntryInput(
        title="Cetak KK gagal", answer="Periksa template.", origin_region="52.03"), submit=True).entry
    services.entry_approve(entry=entry, actor=fresh(world.coord_lotim))
    assert web(world.vol_lotim).get(f"/kb/{entry.pk}/ubah/").status_code == 403
    client = web(world.coord_lotim)
    page = client.get(f"/kb/{entry.pk}/ubah/")
    client.post(f"/kb/{entry.pk}/ubah/", form_data(page, answer="Periksa template KK terbaru.", aksi="simpan"))
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PUBLISHED and entry.answer == "Periksa template KK terbaru."
    assert entry.editor == world.coord_lotim
    assert found("template KK terbaru") == [entry.pk]


def test_unpublishing_takes_back_the_reputation(world: World) -> None:
    ticket = solved_ticket(world)
    saved = services.entry_create(actor=fresh(world.coord_lotim), data=services.EntryInput(
        title=ticket.title, answer="Potong kolom nama."), source_ticket=ticket, submit=True)
    assert saved.outcome == "published"
    keys = set(ReputationEvent.objects.values_list("key", flat=True))
    # the author and the volunteer whose accepted answer it was
    assert {f"kb:{saved.entry.pk}:{world.coord_lotim.pk}", f"kb:{saved.entry.pk}:{world.vol_lotim.pk}"} <= keys
    services.entry_archive(entry=saved.entry, actor=fresh(world.coord_lotim))
    assert not ReputationEvent.objects.filter(key__startswith=f"kb:{saved.entry.pk}:").exists()
    assert ticket.status == Status.SELESAI


def test_origin_region_is_the_volunteers_forum_or_the_tickets_desa(world: World) -> None:
    client = web(world.vol_lotim)
    base = {"title": "Cetak kartu keluarga terpotong", "question": "", "answer": "Atur kertas F4.",
            "category": "kependudukan", "tags": "", "versions": "", "aksi": "simpan"}
    page = client.post("/kb/baru/", {**base, "origin_region": "52.06"})  # Bima is not their forum
    assert page.status_code == 200 and not Entry.objects.exists()
    with pytest.raises(Exception, match="di luar forum"):
        services.entry_create(actor=fresh(world.vol_lotim), data=services.EntryInput(
            title="x", answer="y", origin_region="52.06"))
    # A ticket's entry always comes from the ticket's desa, whatever is posted.
    ticket = solved_ticket(world)
    data = form_data(client.get(f"/kb/baru/?ticket={ticket.pk}"), origin_region="52.06", aksi="simpan")
    assert client.post(f"/kb/baru/?ticket={ticket.pk}", data).status_code == 200  # not a choice on this form
    entry = services.entry_create(actor=fresh(world.vol_lotim), source_ticket=ticket, data=services.EntryInput(
        title="x", answer="y", origin_region="52.06")).entry
    assert entry.origin_region_id == ticket.desa_id and entry.forum == world.lotim


def test_kb_home_lists_solved_tickets_waiting_to_be_published(world: World) -> None:
    ticket = solved_ticket(world)
    type(ticket).objects.filter(pk=ticket.pk).update(kb_candidate=True)  # the forum flags accepted answers
    link = f"/kb/baru/?ticket={ticket.pk}"
    assert link in web(world.vol_lotim).get("/kb/").content.decode()
    assert link not in web(world.vol_bima).get("/kb/").content.decode()
    assert link not in web(world.op_a).get("/kb/").content.decode()
    services.entry_create(actor=fresh(world.vol_lotim), source_ticket=ticket,
                          data=services.EntryInput(title=ticket.title, answer="Potong kolom nama."))
    assert link not in web(world.vol_lotim).get("/kb/").content.decode()
