"""Closing a question as a duplicate: who may, what the asker is told, and where its page leads."""

from __future__ import annotations

from django.test import Client

from helpdesk.community.models import ModerationAction
from helpdesk.notifications.models import Notification
from helpdesk.tickets.models import Status, Ticket
from tests.community.conftest import DESA_B, World, client_for, give_points, question
from tests.factories import OperatorFactory


def _pair(world: World) -> tuple[Ticket, Ticket]:
    canonical = question(world, reporter=world.op_b, title="Impor penduduk gagal: Data too long for column")
    duplicate = question(world, title="Impor data penduduk error data too long")
    return canonical, duplicate


def test_a_volunteer_closes_a_duplicate_the_asker_is_told_and_the_page_redirects(world: World) -> None:
    canonical, duplicate = _pair(world)
    response = client_for(world.vol_lotim).post(f"/api/v1/forum/questions/{duplicate.pk}/duplicate/",
                                                {"of": canonical.pk, "reason": "sama persis"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "duplikat" and response.json()["duplicate_of"] == canonical.pk
    duplicate.refresh_from_db()
    assert duplicate.status == Status.DUPLIKAT and duplicate.duplicate_of_id == canonical.pk
    told = Notification.objects.get(user=world.op_a, type="ticket_status", ticket_id=duplicate.pk)
    assert "duplikat" in told.text
    assert ModerationAction.objects.filter(ticket=duplicate, action="duplicate", actor=world.vol_lotim).exists()

    page = Client().get(f"/forum/pertanyaan/{duplicate.number}/")
    assert page.status_code == 302
    assert page["Location"] == f"/forum/pertanyaan/{canonical.number}/?dari={duplicate.number}"
    landed = Client().get(page["Location"]).content.decode()
    assert f"Anda diarahkan dari pertanyaan {duplicate.number}" in landed
    kept = Client().get(f"/forum/pertanyaan/{duplicate.number}/?tampil=1").content.decode()
    assert "Pertanyaan ini duplikat dari" in kept and f"/forum/pertanyaan/{canonical.number}/" in kept
    # A made-up "dari" is not echoed as if it were a duplicate.
    assert "Anda diarahkan" not in Client().get(f"/forum/pertanyaan/{canonical.number}/?dari=NTB-999999").content.decode()


def test_members_need_the_level_to_close_duplicates(world: World) -> None:
    canonical, duplicate = _pair(world)
    member = OperatorFactory(username="penjaga", desa_code=DESA_B)
    refused = client_for(member).post(f"/api/v1/forum/questions/{duplicate.pk}/duplicate/", {"of": canonical.pk},
                                      format="json")
    assert refused.status_code == 403 and "150" in refused.json()["detail"]
    duplicate.refresh_from_db()
    assert duplicate.status == Status.BARU
    give_points(member, 150)
    # The tickets API's own endpoint follows the same rule (one rule, registered by the forum).
    accepted = client_for(member).post(f"/api/v1/tickets/{duplicate.pk}/duplicate/", {"of": canonical.pk}, format="json")
    assert accepted.status_code == 200, accepted.json()
    duplicate.refresh_from_db()
    assert duplicate.status == Status.DUPLIKAT


def test_members_cannot_close_private_tickets_or_point_at_them(world: World) -> None:
    member = OperatorFactory(username="penjaga2", desa_code=DESA_B)
    give_points(member, 500)
    private = world.ticket(reporter=world.op_b)  # visible to the member's desa, but not a forum question
    public = question(world)
    closing_private = client_for(member).post(f"/api/v1/tickets/{private.pk}/duplicate/", {"of": public.pk},
                                              format="json")
    assert closing_private.status_code == 403
    pointing = client_for(member).post(f"/api/v1/forum/questions/{public.pk}/duplicate/", {"of": private.pk},
                                       format="json")
    assert pointing.status_code == 400 and "of" in pointing.json()["fields"]


def test_duplicates_leave_the_lists_of_unanswered_questions_and_search(world: World) -> None:
    canonical, duplicate = _pair(world)
    client_for(world.vol_lotim).post(f"/api/v1/forum/questions/{duplicate.pk}/duplicate/", {"of": canonical.pk},
                                     format="json")
    unanswered = [q["id"] for q in client_for(None).get("/api/v1/forum/questions/?filter=unanswered").json()["results"]]
    assert unanswered == [canonical.pk]
    found = [q["id"] for q in client_for(None).get("/api/v1/forum/questions/?q=data too long").json()["results"]]
    assert found == [canonical.pk]


def test_the_web_form_closes_and_lands_on_the_canonical_question(world: World) -> None:
    canonical, duplicate = _pair(world)
    browser = Client()
    browser.force_login(world.vol_lotim)
    response = browser.post(f"/forum/pertanyaan/{duplicate.number}/aksi/duplikat/", {"of": canonical.number})
    assert response.status_code == 302
    assert response["Location"] == f"/forum/pertanyaan/{canonical.number}/?dari={duplicate.number}"
    duplicate.refresh_from_db()
    assert duplicate.status == Status.DUPLIKAT
    missing = browser.post(f"/forum/pertanyaan/{canonical.number}/aksi/duplikat/", {"of": "NTB-424242"}, follow=True)
    assert "tidak ditemukan" in missing.content.decode()
