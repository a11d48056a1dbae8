"""Changing a reply or an internal note after it was sent (`services.message_edit`, issue 20): its author only,
within `access.MESSAGE_EDIT_WINDOW`, audited, live, searchable, and shown as "disunting" on the ticket page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from helpdesk.accounts.models import ForumMembership, User
from helpdesk.community.selectors import search_questions
from helpdesk.core.errors import DomainError
from helpdesk.realtime.models import StreamEvent
from helpdesk.tickets import access, services
from helpdesk.tickets.models import Channel, Message, TicketEvent
from tests.tickets.conftest import World

pytestmark = pytest.mark.django_db


def test_the_author_changes_a_reply_within_the_window(world: World) -> None:
    ticket = world.ticket()
    reply = services.message_create(ticket=ticket, author=world.vol_lotim, body="Coba impor ulang **berkasnya**.")
    edited = services.message_edit(message=reply, editor=world.vol_lotim, body="Coba impor ulang *berkas Excel*.",
                                   channel=Channel.TELEGRAM)
    reply.refresh_from_db()
    assert reply.body == edited.body == "Coba impor ulang *berkas Excel*."
    assert "<em>berkas Excel</em>" in reply.body_html and reply.edited_at is not None
    event = TicketEvent.objects.get(ticket=ticket, action="message_edited")
    assert (event.actor, event.old, event.new, event.channel) == (world.vol_lotim, f"#{reply.pk}", "reply", "telegram")
    assert event.note == "Coba impor ulang **berkasnya**.", "the audit trail keeps the text as it was"
    live = StreamEvent.objects.get(stream=f"ticket:{ticket.pk}", type="message.edited")
    assert live.audience == "" and live.data["body"] == reply.body and live.data["edited_at"]

    # The same text again changes nothing.
    services.message_edit(message=reply, editor=world.vol_lotim, body="Coba impor ulang *berkas Excel*.")
    assert TicketEvent.objects.filter(action="message_edited").count() == 1


def test_an_internal_note_edit_reaches_only_those_who_read_notes(world: World) -> None:
    ticket = world.ticket()
    note = services.message_create(ticket=ticket, author=world.vol_lotim, body="cek log", internal=True)
    services.message_edit(message=note, editor=world.vol_lotim, body="cek log server")
    live = StreamEvent.objects.get(stream=f"ticket:{ticket.pk}", type="message.edited")
    assert live.audience == "internal" and live.data["internal"] is True


def test_only_the_author_within_the_window_while_they_may_still_write(world: World) -> None:
    ticket = world.ticket()
    reply = services.message_create(ticket=ticket, author=world.vol_lotim, body="Versi berapa?")
    with pytest.raises(PermissionDenied):
        services.message_edit(message=reply, editor=world.vol2_lotim, body="Diubah orang lain")
    with pytest.raises(PermissionDenied):
        services.message_edit(message=reply, editor=world.admin, body="Diubah admin")
    with pytest.raises(ValidationError):
        services.message_edit(message=reply, editor=world.vol_lotim, body="   ")

    late = timezone.now() + access.MESSAGE_EDIT_WINDOW + timedelta(seconds=1)
    with pytest.raises(DomainError) as refused:
        services.message_edit(message=reply, editor=world.vol_lotim, body="Terlambat", now=late)
    assert refused.value.code == "edit_window_closed" and "10 menit" in str(refused.value)
    assert not access.can_edit_message(world.vol_lotim, ticket, reply, now=late)
    assert access.can_edit_message(world.vol_lotim, ticket, reply)

    # A note's author who left the team may no longer write notes there, nor change them.
    note = services.message_create(ticket=ticket, author=world.vol_lotim, body="catatan", internal=True)
    ForumMembership.objects.filter(user=world.vol_lotim).update(is_active=False)
    with pytest.raises(PermissionDenied):
        services.message_edit(message=Message.objects.get(pk=note.pk), editor=User.objects.get(pk=world.vol_lotim.pk),
                              body="catatan baru")
    assert Message.objects.get(pk=reply.pk).body == "Versi berapa?"


def test_a_changed_answer_on_a_public_question_is_found_by_its_new_words(world: World) -> None:
    ticket = world.ticket(visibility="public")
    answer = services.message_create(ticket=ticket, author=world.vol_lotim, body="Periksa pengaturan server.")
    assert ticket.pk not in [t.pk for t in search_questions("zebrakolom")]
    services.message_edit(message=answer, editor=world.vol_lotim, body="Periksa zebrakolom di pengaturan server.")
    assert ticket.pk in [t.pk for t in search_questions("zebrakolom")]


def test_the_ticket_page_shows_an_edited_message_as_edited(world: World) -> None:
    ticket = world.ticket()
    reply = services.message_create(ticket=ticket, author=world.vol_lotim, body="Versi berapa?")
    client = Client()
    client.force_login(world.op_a)
    assert "disunting" not in client.get(ticket.get_absolute_url()).content.decode()
    services.message_edit(message=reply, editor=world.vol_lotim, body="Versi OpenSID berapa?")
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "Versi OpenSID berapa?" in page and "disunting" in page
    body = client.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert [m["edited_at"] is not None for m in body["messages"] if m["id"] == reply.pk] == [True]


def test_the_author_changes_a_message_from_the_ticket_page_within_the_window(world: World) -> None:
    ticket = world.ticket()
    reply = services.message_create(ticket=ticket, author=world.vol_lotim, body="Versi berapa?")
    author, colleague = Client(), Client()
    author.force_login(world.vol_lotim)
    colleague.force_login(world.vol2_lotim)
    url = f"/pesan/{reply.pk}/ubah/"
    assert url in author.get(ticket.get_absolute_url()).content.decode(), "the page offers the author an edit link"
    assert url not in colleague.get(ticket.get_absolute_url()).content.decode()
    assert colleague.get(url).status_code == 403
    assert colleague.post(url, {"body": "Bukan pesan saya"}).status_code == 403
    assert author.post(url, {"body": ""}).status_code == 400

    form = author.get(url)
    assert form.status_code == 200 and "Versi berapa?" in form.content.decode()
    done = author.post(url, {"body": "Versi OpenSID berapa?"})
    assert done.status_code == 302 and done["Location"].endswith(f"#pesan-{reply.pk}")
    reply.refresh_from_db()
    assert reply.body == "Versi OpenSID berapa?" and reply.edited_at is not None
    assert TicketEvent.objects.get(action="message_edited").channel == "web"

    # After the window: back to the ticket with the reason, nothing changed, no link any more.
    Message.objects.filter(pk=reply.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    late = author.post(url, {"body": "Terlambat"}, follow=True)
    assert "10 menit" in late.content.decode() and url not in late.content.decode()
    assert Message.objects.get(pk=reply.pk).body == "Versi OpenSID berapa?"

    # Someone who may not see the ticket learns nothing: 404.
    stranger = Client()
    stranger.force_login(world.op_b)
    assert stranger.get(url).status_code == 404
