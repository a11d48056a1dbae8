"""Accept → solved → knowledge-base candidate, whatever channel solved it; reputation follows the accepted answer."""

from __future__ import annotations

from helpdesk.community.models import Reputation, ReputationEvent
from helpdesk.notifications.models import Notification
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.models import Message, Status, Ticket, TicketEvent
from tests.community.conftest import World, answer, client_for, fresh, question


def test_an_operator_asks_another_village_answers_the_asker_accepts(world: World) -> None:
    asked = client_for(world.op_a).post("/api/v1/forum/questions/", {
        "title": "Cetak surat keterangan domisili error 500", "description": "Muncul galat setelah update v2410.",
        "category": "surat-tte", "opensid_version": "v2410.0.0",
    }, format="json")
    assert asked.status_code == 201, asked.json()
    qid = asked.json()["id"]
    ticket = Ticket.objects.get(pk=qid)
    assert ticket.visibility == "public" and ticket.status == Status.BARU and ticket.forum == world.lotim

    reply = client_for(world.op_bima).post(f"/api/v1/tickets/{qid}/messages/",
                                           {"body": "Perbarui folder vendor lalu hapus cache."}, format="json")
    assert reply.status_code == 201, reply.json()
    ticket.refresh_from_db()
    assert ticket.status == Status.BARU  # a community answer does not claim the ticket

    accepted = client_for(world.op_a).post(f"/api/v1/tickets/{qid}/accept/", {"message": reply.json()["id"]},
                                           format="json")
    assert accepted.status_code == 200, accepted.json()
    body = accepted.json()
    assert body["status"] == "selesai" and body["solved"] is True and body["kb_candidate"] is True
    assert body["accepted_message"] == reply.json()["id"]
    ticket.refresh_from_db()
    assert ticket.status == Status.SELESAI and ticket.kb_candidate and ticket.resolved_at
    assert TicketEvent.objects.filter(ticket=ticket, action="resolved").exists()
    assert Reputation.objects.get(user=world.op_bima).points == 15
    event = ReputationEvent.objects.get(user=world.op_bima)
    assert (event.kind, event.forum_id, event.region_code) == ("accepted", world.lotim.pk, "52.06")
    assert Notification.objects.filter(user=world.op_bima, type="forum_answer_accepted").exists()
    listed = client_for(None).get("/api/v1/forum/questions/?filter=solved").json()["results"]
    assert [q["id"] for q in listed] == [qid]


def test_accepting_on_someone_elses_question_is_403_and_nothing_changes(world: World) -> None:
    q = question(world)
    a = answer(q, world.op_b)
    for outsider in (world.op_b, world.op_bima, world.vol_bima, world.op_a2):
        response = client_for(outsider).post(f"/api/v1/tickets/{q.pk}/accept/", {"message": a.pk}, format="json")
        assert response.status_code == 403, (outsider.username, response.json())
    q.refresh_from_db()
    assert q.status == Status.BARU and q.accepted_message is None and not q.kb_candidate
    assert not ReputationEvent.objects.exists()
    assert client_for(None).post(f"/api/v1/tickets/{q.pk}/accept/", {"message": a.pk}, format="json").status_code == 401


def test_a_forum_volunteer_may_accept_and_accepting_twice_is_409(world: World) -> None:
    q = question(world)
    a = answer(q, world.op_b)
    assert client_for(world.vol_lotim).post(f"/api/v1/tickets/{q.pk}/accept/", {"message": a.pk},
                                            format="json").status_code == 200
    again = client_for(world.op_a).post(f"/api/v1/tickets/{q.pk}/accept/", {"message": a.pk}, format="json")
    assert again.status_code == 409
    assert Reputation.objects.get(user=world.op_b).points == 15


def test_a_better_answer_can_be_accepted_instead_and_the_points_move(world: World) -> None:
    q = question(world)
    first = answer(q, world.op_b, "Coba ulang.")
    better = answer(q, world.op_bima, "Ubah kolom tanggal lahir menjadi teks.")
    client_for(world.op_a).post(f"/api/v1/tickets/{q.pk}/accept/", {"message": first.pk}, format="json")
    switched = client_for(world.op_a).post(f"/api/v1/tickets/{q.pk}/accept/", {"message": better.pk}, format="json")
    assert switched.status_code == 200 and switched.json()["accepted_message"] == better.pk
    assert Reputation.objects.get(user=world.op_b).points == 0
    assert Reputation.objects.get(user=world.op_bima).points == 15
    assert Reputation.objects.get(user=world.op_b).accepted_answers == 0


def test_bad_answers_cannot_be_accepted(world: World) -> None:
    q = question(world)
    other = question(world, title="Pertanyaan lain")
    foreign = answer(other, world.op_b)
    note = ticket_services.message_create(ticket=Ticket.objects.get(pk=q.pk), author=fresh(world.vol_lotim),
                                          body="internal", internal=True)
    for message_id in (foreign.pk, note.pk, 999999):
        response = client_for(world.op_a).post(f"/api/v1/tickets/{q.pk}/accept/", {"message": message_id}, format="json")
        assert response.status_code == 400, response.json()
    assert client_for(world.op_a).post(f"/api/v1/tickets/{q.pk}/accept/", {}, format="json").status_code == 400
    q.refresh_from_db()
    assert q.status == Status.BARU


def test_reopening_takes_the_points_and_the_candidacy_back(world: World) -> None:
    q = question(world)
    a = answer(q, world.op_b)
    client_for(world.op_a).post(f"/api/v1/tickets/{q.pk}/accept/", {"message": a.pk}, format="json")
    ticket_services.ticket_reopen(ticket=Ticket.objects.get(pk=q.pk), actor=fresh(world.op_a))
    q.refresh_from_db()
    assert q.status == Status.DITANGANI and not q.kb_candidate
    assert Reputation.objects.get(user=world.op_b).points == 0
    assert not ReputationEvent.objects.exists()


def test_a_volunteer_solving_a_private_ticket_from_telegram_earns_the_same_points(world: World) -> None:
    ticket = world.ticket()
    reply = ticket_services.message_create(ticket=ticket, author=fresh(world.vol_lotim), body="Sudah saya perbaiki.",
                                           channel="telegram")
    ticket_services.ticket_resolve(ticket=Ticket.objects.get(pk=ticket.pk), actor=fresh(world.vol_lotim),
                                   message_id=reply.pk, channel="telegram")
    ticket.refresh_from_db()
    assert ticket.status == Status.SELESAI and ticket.kb_candidate
    assert Reputation.objects.get(user=world.vol_lotim).points == 15
    # The private ticket itself never shows in the forum.
    assert client_for(None).get("/api/v1/forum/questions/").json()["results"] == []


def test_the_askers_own_desa_answering_earns_nothing(world: World) -> None:
    q = question(world)
    own = answer(q, world.op_a2, "Sudah ketemu: file harus .xlsx")
    client_for(world.op_a).post(f"/api/v1/tickets/{q.pk}/accept/", {"message": own.pk}, format="json")
    q.refresh_from_db()
    assert q.status == Status.SELESAI and q.kb_candidate
    assert not ReputationEvent.objects.exists()


def test_the_question_page_shows_solved_and_offers_publishing_to_volunteers(world: World) -> None:
    from django.test import Client

    q = question(world)
    a = answer(q, world.op_b)
    client_for(world.op_a).post(f"/api/v1/tickets/{q.pk}/accept/", {"message": a.pk}, format="json")
    page = Client().get(f"/forum/pertanyaan/{q.number}/").content.decode()
    assert "Terjawab" in page and "diusulkan menjadi entri basis pengetahuan" in page
    assert f"/kb/baru/?ticket={q.pk}" not in page  # anonymous readers are not offered the publishing link
    volunteer = Client()
    volunteer.force_login(world.vol_lotim)
    page = volunteer.get(f"/forum/pertanyaan/{q.number}/").content.decode()
    assert f"/kb/baru/?ticket={q.pk}" in page and "Terbitkan ke basis pengetahuan" in page
    ticket_page = volunteer.get(q.get_absolute_url()).content.decode()
    assert f"/kb/baru/?ticket={q.pk}" in ticket_page and "Lihat di forum komunitas" in ticket_page


def test_accept_answers_on_the_ticket_page_are_the_same_thing(world: World) -> None:
    """The ticket page's "Masalah selesai" with an answer picked goes through the same seam."""
    from django.test import Client

    q = question(world)
    a = answer(q, world.op_b)
    operator = Client()
    operator.force_login(world.op_a)
    operator.post(f"/tiket/{q.number}/aksi/selesai/", {"message": a.pk})
    q.refresh_from_db()
    assert q.status == Status.SELESAI and q.accepted_message_id == a.pk and q.kb_candidate
    assert Reputation.objects.get(user=world.op_b).points == 15
    assert Message.objects.get(pk=a.pk).is_hidden is False
