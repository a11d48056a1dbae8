"""Issue 5: SLA warnings and escalation, notifications, canned replies, bulk actions, merge, watchers, CSAT."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk.accounts.models import User
from helpdesk.core.models import OutboxJob
from helpdesk.core.outbox import Dispatcher
from helpdesk.notifications.models import Notification
from helpdesk.tickets import access, escalation, services
from helpdesk.tickets.models import CannedReply, Message, Status, Ticket, TicketEvent, TicketForumHistory
from tests.concurrency import run_together
from tests.tickets.conftest import World, as_user


def _overdue(ticket: Ticket, **fields: Any) -> None:
    past = timezone.now() - timedelta(minutes=1)
    Ticket.objects.filter(pk=ticket.pk).update(**dict.fromkeys(fields, past))


def test_80_percent_warns_the_assignee_once(world: World) -> None:
    ticket = world.ticket()
    services.ticket_claim(ticket=ticket, actor=world.vol_lotim)
    _overdue(ticket, first_response_warn_at=1)
    assert escalation.check_sla()["sla_first_warned"] == 1
    assert escalation.check_sla()["sla_first_warned"] == 0
    warning = Notification.objects.get(user=world.vol_lotim, type="sla_warning")
    assert ticket.number in warning.text


def test_a_breach_escalates_to_the_parent_forum_and_keeps_access(world: World, api: APIClient) -> None:
    ticket = world.ticket()
    _overdue(ticket, first_response_due=1)
    escalation.check_sla()
    ticket.refresh_from_db()
    assert ticket.forum == world.ntb
    assert TicketForumHistory.objects.filter(ticket=ticket, forum=world.lotim).exists()
    assert TicketEvent.objects.get(ticket=ticket, action="escalated").new == "ForSID NTB"
    assert Notification.objects.filter(user=world.coord_lotim, type="sla_breach").exists()
    # The original forum's volunteers still see and can answer it.
    assert as_user(api, world.vol_lotim).get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    ids = [t["id"] for t in as_user(APIClient(), world.vol_lotim).get("/api/v1/tickets/").json()["results"]]
    assert ticket.pk in ids
    # A first response stops the clock: nothing more happens on the next run.
    assert escalation.check_sla()["sla_first_breached"] == 0


def test_earlier_forums_are_read_by_the_rules_themselves_once_and_in_bulk(
    world: World, django_assert_num_queries: Any
) -> None:
    escalated, staying = world.ticket(), world.ticket()
    _overdue(escalated, first_response_due=1)
    escalation.check_sla()
    volunteer = User.objects.get(pk=world.vol_lotim.pk)
    assert access.forums_of(volunteer)  # memberships are read once per user object; not counted below
    fresh = Ticket.objects.get(pk=escalated.pk)  # nobody loads its history before asking the rules
    with django_assert_num_queries(1):
        assert access.can_see(volunteer, fresh) and access.can_see_internal(volunteer, fresh)
        assert access.can_triage(volunteer, fresh)
    listed = Ticket.objects.filter(pk__in=[escalated.pk, staying.pk]).prefetch_related("forum_history")
    with django_assert_num_queries(2):  # the list and its histories, however many tickets
        assert {t.pk: access.can_triage(volunteer, t) for t in listed} == {escalated.pk: True, staying.pk: True}
    operator, ticket = User.objects.get(pk=world.op_b.pk), Ticket.objects.get(pk=escalated.pk)
    with django_assert_num_queries(1):  # their (empty) memberships: no history is read for someone in no forum
        assert not access.can_see_internal(operator, ticket)


@pytest.mark.django_db(transaction=True)
def test_escalation_happens_exactly_once_with_two_workers(world: World) -> None:
    tickets = [world.ticket() for _ in range(5)]
    for t in tickets:
        _overdue(t, first_response_due=1)
    totals = run_together([lambda: escalation.check_sla()["sla_first_breached"]] * 2)
    assert all(isinstance(n, int) for n in totals), totals
    assert sum(totals) == 5
    assert TicketEvent.objects.filter(action="escalated").count() == 5
    assert set(Ticket.objects.values_list("forum_id", flat=True)) == {world.ntb.pk}


def test_notifications_go_to_the_right_people(world: World) -> None:
    ticket = world.ticket()
    # Claim mode: forum volunteers hear about the new ticket; the Bima volunteer does not.
    assert Notification.objects.filter(user=world.vol_lotim, type="ticket_new", ticket_id=ticket.pk).exists()
    assert not Notification.objects.filter(user=world.vol_bima).exists()
    services.message_create(ticket=ticket, author=world.vol_lotim, body="Coba ini")
    assert Notification.objects.filter(user=world.op_a, type="ticket_reply").exists()
    services.message_create(ticket=ticket, author=world.vol_lotim, body="catatan", internal=True)
    assert not Notification.objects.filter(user=world.op_a, text__contains="catatan internal").exists()
    services.message_create(ticket=ticket, author=world.op_a, body="Sudah dicoba")
    assert Notification.objects.filter(user=world.vol_lotim, type="ticket_reply").exists()


def test_preferences_are_respected_and_emails_are_grouped(world: World) -> None:
    ticket = world.ticket()
    world.op_a2.notification_prefs = {"ticket_reply": {"email": False}}
    world.op_a2.save()
    services.ticket_watch(ticket=ticket, user=world.op_a2)
    for i in range(5):
        services.message_create(ticket=ticket, author=world.vol_lotim, body=f"langkah {i}")
    assert Notification.objects.filter(user=world.op_a, type="ticket_reply").count() == 5
    assert OutboxJob.objects.filter(kind="notifications.email", payload__user=world.op_a.pk).count() == 1
    assert not OutboxJob.objects.filter(kind="notifications.email", payload__user=world.op_a2.pk).exists()
    assert Notification.objects.filter(user=world.op_a2, type="ticket_reply").count() == 5  # in-app still
    OutboxJob.objects.filter(kind="notifications.email").update(run_after=timezone.now())
    Dispatcher().drain()
    to_op_a = [m for m in mail.outbox if world.op_a.email in m.to]
    assert len(to_op_a) == 1
    assert to_op_a[0].body.count("membalas tiket") == 5


def test_an_email_server_that_is_down_delays_but_loses_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    ticket = world.ticket()
    services.message_create(ticket=ticket, author=world.vol_lotim, body="jawaban")
    OutboxJob.objects.filter(kind="notifications.email").update(run_after=timezone.now())

    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("SMTP mati")

    monkeypatch.setattr("helpdesk.notifications.tasks.send_mail", down)
    Dispatcher().drain()
    job = OutboxJob.objects.get(kind="notifications.email", payload__user=world.op_a.pk)
    assert job.status == OutboxJob.Status.PENDING and job.attempts == 1 and "SMTP mati" in job.last_error
    monkeypatch.undo()
    OutboxJob.objects.filter(pk=job.pk).update(run_after=timezone.now())
    Dispatcher().drain()
    assert OutboxJob.objects.get(pk=job.pk).status == OutboxJob.Status.DONE
    assert any(world.op_a.email in m.to for m in mail.outbox)


def test_notification_api(world: World) -> None:
    ticket = world.ticket()
    services.message_create(ticket=ticket, author=world.vol_lotim, body="a")
    client = as_user(APIClient(), world.op_a)
    body = client.get("/api/v1/notifications/").json()
    assert body["unread"] == 1
    item = body["results"][0]
    assert set(item) >= {"id", "type", "ticket", "text", "read", "at"} and item["ticket"] == ticket.pk
    assert client.post("/api/v1/notifications/read/", {"ids": [item["id"]]}, format="json").json()["updated"] == 1
    assert client.get("/api/v1/notifications/").json()["unread"] == 0
    assert client.post("/api/v1/notifications/read/", {}, format="json").status_code == 400
    other = as_user(APIClient(), world.op_b)
    assert other.post("/api/v1/notifications/read/", {"ids": [item["id"]]}, format="json").json()["updated"] == 0


def test_canned_replies_fill_placeholders_and_refuse_unknown_ones(world: World) -> None:
    client = as_user(APIClient(), world.vol_lotim)
    bad = client.post("/api/v1/canned-replies/", {"forum": world.lotim.pk, "title": "Salam",
                                                 "body": "Halo {nama_kades}"}, format="json")
    assert bad.status_code == 400 and "nama_kades" in bad.json()["fields"]["body"][0]
    good = client.post("/api/v1/canned-replies/", {"forum": world.lotim.pk, "title": "Salam",
                                                  "body": "Halo {nama_operator} dari Desa {nama_desa}, tiket {nomor_tiket} kami tangani."},
                       format="json")
    assert good.status_code == 201
    assert as_user(APIClient(), world.vol_bima).post(
        "/api/v1/canned-replies/", {"forum": world.lotim.pk, "title": "x", "body": "y"}, format="json").status_code == 403
    ticket = world.ticket()
    reply = client.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"canned": good.json()["id"]}, format="json").json()
    assert reply["body"] == f"Halo Operator Tanjung Luar dari Desa Tanjung Luar, tiket {ticket.number} kami tangani."
    assert CannedReply.objects.get().usage_count == 1
    listed = client.get(f"/api/v1/canned-replies/?forum={world.lotim.pk}").json()
    assert [r["title"] for r in listed["results"]] == ["Salam"]


def test_bulk_claim_and_close(world: World) -> None:
    mine = [world.ticket() for _ in range(3)]
    bima = world.ticket(reporter=world.op_bima)
    client = as_user(APIClient(), world.vol_lotim)
    ids = [t.pk for t in mine] + [bima.pk]
    results = client.post("/api/v1/tickets/bulk/", {"action": "claim", "ids": ids}, format="json").json()["results"]
    assert [results[str(t.pk)] for t in mine] == ["ok", "ok", "ok"]
    assert results[str(bima.pk)] != "ok"
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in mine]).values_list("assignee_id", flat=True)) == {world.vol_lotim.pk}
    closed = client.post("/api/v1/tickets/bulk/", {"action": "close", "ids": [t.pk for t in mine]}, format="json").json()
    assert set(closed["results"].values()) == {"ok"}
    assert client.post("/api/v1/tickets/bulk/", {"action": "hapus", "ids": [1]}, format="json").status_code == 400


def test_merge_moves_messages_within_a_desa_only(world: World) -> None:
    canonical = world.ticket(title="Login layanan mandiri gagal")
    duplicate = world.ticket(reporter=world.op_a2, title="Tidak bisa masuk layanan mandiri")
    services.message_create(ticket=duplicate, author=world.op_a2, body="PIN ditolak terus")
    services.message_create(ticket=duplicate, author=world.vol_lotim, body="catatan rahasia", internal=True)
    other_desa = world.ticket(reporter=world.op_b)
    client = as_user(APIClient(), world.vol_lotim)
    across = client.post(f"/api/v1/tickets/{other_desa.pk}/merge/", {"into": canonical.pk}, format="json")
    assert across.status_code == 400 and "desa yang sama" in across.json()["fields"]["into"][0]
    assert client.post(f"/api/v1/tickets/{canonical.pk}/merge/", {"into": canonical.pk}, format="json").status_code == 400
    assert Message.objects.filter(ticket=other_desa).exclude(kind="system").count() == 0  # nothing moved
    merged = client.post(f"/api/v1/tickets/{duplicate.pk}/merge/", {"into": canonical.pk}, format="json")
    assert merged.status_code == 200 and merged.json()["id"] == canonical.pk
    bodies = [m.body for m in Message.objects.filter(ticket=canonical)]
    assert "PIN ditolak terus" in bodies and "catatan rahasia" in bodies
    duplicate.refresh_from_db()
    assert duplicate.status == Status.DUPLIKAT and duplicate.merged and duplicate.duplicate_of == canonical
    assert Notification.objects.filter(user=world.op_a2, type="ticket_status", ticket_id=duplicate.pk).exists()
    web = Client()
    web.force_login(world.op_a2)
    response = web.get(duplicate.get_absolute_url())
    assert response.status_code == 302 and response["Location"] == canonical.get_absolute_url()


def test_sla_settings_refuse_bad_values(world: World) -> None:
    admin = as_user(APIClient(), world.admin)
    assert admin.put("/api/v1/sla/policies/default/", {"targets": {"darurat": [0, 480]}}, format="json").status_code == 400
    assert admin.put("/api/v1/sla/policies/default/", {"targets": {"darurat": [-5, 480]}}, format="json").status_code == 400
    bad_hours = admin.put("/api/v1/sla/policies/default/", {"work_start": "16:00", "work_end": "08:00"}, format="json")
    assert bad_hours.status_code == 400 and "work_end" in bad_hours.json()["fields"]
    bad_day = admin.post("/api/v1/sla/holidays/", {"date": "2028-02-31", "name": "Libur"}, format="json")
    assert bad_day.status_code == 400 and "date" in bad_day.json()["fields"]
    ok = admin.put(f"/api/v1/sla/policies/{world.lotim.pk}/", {"targets": {"darurat": [30, 240]},
                                                               "work_start": "07:30", "work_end": "15:30"}, format="json")
    assert ok.status_code == 200 and ok.json()["targets"]["darurat"] == [30, 240]
    assert admin.post("/api/v1/sla/holidays/", {"date": "2028-03-27", "name": "Nyepi", "region_prefix": "52"},
                      format="json").status_code == 201
    assert as_user(APIClient(), world.coord_lotim).put("/api/v1/sla/policies/default/", {}, format="json").status_code == 403
    ticket = world.ticket(priority="darurat")
    from helpdesk.tickets import sla

    assert sla.policy_for(world.lotim.pk).targets["darurat"] == [30, 240]
    assert ticket.first_response_due is not None


def test_csat_per_volunteer_and_forum(world: World) -> None:
    for score, volunteer in ((5, world.vol_lotim), (3, world.vol_lotim), (4, world.vol2_lotim)):
        ticket = world.ticket()
        services.ticket_claim(ticket=ticket, actor=volunteer)
        services.ticket_resolve(ticket=ticket, actor=volunteer)
        services.ticket_rate(ticket=ticket, actor=world.op_a, score=score, comment="ok" if score == 5 else "")
    coord = as_user(APIClient(), world.coord_lotim).get(f"/api/v1/forums/{world.lotim.pk}/csat/").json()
    assert coord["average"] == 4.0 and coord["count"] == 3
    assert coord["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    per = {v["username"]: v for v in coord["volunteers"]}
    assert per["vol_lotim"]["average"] == 4.0 and per["vol2_lotim"]["count"] == 1
    assert as_user(APIClient(), world.vol_lotim).get(f"/api/v1/forums/{world.lotim.pk}/csat/").status_code == 403
    web = Client()
    web.force_login(world.coord_lotim)
    page = web.get(f"/forsid/{world.lotim.pk}/kepuasan/")
    assert page.status_code == 200 and "Rata-rata" in page.content.decode()
    # the team's page moved from /forum/ (the community Q&A's prefix) to /forsid/; the old address redirects
    old = web.get(f"/forum/{world.lotim.pk}/kepuasan/")
    assert old.status_code == 301 and old["Location"] == f"/forsid/{world.lotim.pk}/kepuasan/"


def test_a_notification_is_published_on_the_persons_stream(world: World) -> None:
    from helpdesk.realtime.models import StreamEvent as Event

    ticket = world.ticket()
    services.message_create(ticket=ticket, author=world.vol_lotim, body="balasan")
    event = Event.objects.filter(stream=f"user:{world.op_a.pk}", type="notification.created").order_by("seq").last()
    assert event is not None and event.data["ticket"] == ticket.pk and event.data["unread"] == 1
