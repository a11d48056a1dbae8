"""Every legal and illegal transition of the state machine, and the reply rules, through the services."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from helpdesk.core.api import status_for
from helpdesk.core.errors import DomainError
from helpdesk.tickets import lifecycle, services
from helpdesk.tickets.lifecycle import TRANSITIONS, IllegalTransition
from helpdesk.tickets.models import Message, Status, Ticket, TicketEvent
from tests.tickets.conftest import World

ALL = list(Status.values)


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
@pytest.mark.parametrize("status", ALL)
def test_transition_table(action: str, status: str) -> None:
    table = TRANSITIONS[action]
    if status in table:
        target = lifecycle.next_status(action, status)
        assert target == (table[status] or status)
    else:
        with pytest.raises(IllegalTransition) as info:
            lifecycle.next_status(action, status)
        assert status_for(info.value) == 409
        assert "Tidak bisa" in info.value.message


def test_the_documented_path_is_in_the_table() -> None:
    assert lifecycle.next_status("claim", Status.BARU) == Status.DITANGANI
    assert lifecycle.next_status("volunteer_reply", Status.DITANGANI) == Status.MENUNGGU
    assert lifecycle.next_status("operator_reply", Status.MENUNGGU) == Status.DITANGANI
    assert lifecycle.next_status("resolve", Status.MENUNGGU) == Status.SELESAI
    assert lifecycle.next_status("close", Status.SELESAI) == Status.DITUTUP
    assert lifecycle.next_status("reopen", Status.SELESAI) == Status.DITANGANI
    assert lifecycle.next_status("operator_reply", Status.DITUTUP) == Status.DITANGANI
    for illegal in [("resolve", Status.BARU), ("reopen", Status.BARU), ("duplicate", Status.SELESAI),
                    ("resolve", Status.DITUTUP), ("claim", Status.SELESAI)]:
        assert not lifecycle.allowed(*illegal)


def _set(ticket: Ticket, status: str) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()
    return ticket


def test_new_ticket_is_baru_and_routed(world: World) -> None:
    ticket = world.ticket()
    assert ticket.status == Status.BARU
    assert ticket.forum == world.lotim
    assert ticket.number.startswith("NTB-")
    actions = list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert actions == ["created", "routed"]
    assert "ForSID Lombok Timur" in TicketEvent.objects.get(ticket=ticket, action="routed").note


def test_numbers_are_sequential_per_province(world: World) -> None:
    first, second = world.ticket(), world.ticket()
    assert int(second.number.split("-")[1]) == int(first.number.split("-")[1]) + 1


def test_volunteer_reply_to_unclaimed_ticket_claims_it_and_waits_for_operator(world: World) -> None:
    ticket = world.ticket()
    message = services.message_create(ticket=ticket, author=world.vol_lotim, body="Coba cek format kolom NIK.")
    ticket.refresh_from_db()
    assert ticket.assignee == world.vol_lotim
    assert ticket.status == Status.MENUNGGU
    assert ticket.first_response_at == message.created_at
    assert message.by_volunteer


def test_operator_reply_hands_back_to_volunteers(world: World) -> None:
    ticket = world.ticket()
    services.message_create(ticket=ticket, author=world.vol_lotim, body="Sudah dicoba?")
    services.message_create(ticket=ticket, author=world.op_a2, body="Sudah, tetap gagal.")
    ticket.refresh_from_db()
    assert ticket.status == Status.DITANGANI
    assert ticket.reply_count == 2


def test_operator_reply_does_not_count_as_first_response(world: World) -> None:
    ticket = world.ticket()
    services.message_create(ticket=ticket, author=world.op_a, body="Tambahan info: versi v2410.0.0")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.status == Status.BARU


def test_internal_note_changes_nothing_and_is_volunteers_only(world: World) -> None:
    ticket = world.ticket()
    services.message_create(ticket=ticket, author=world.vol_lotim, body="Sepertinya masalah hosting", internal=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.BARU and ticket.assignee is None and ticket.reply_count == 0
    with pytest.raises(PermissionDenied):
        services.message_create(ticket=ticket, author=world.op_a, body="boleh?", internal=True)


def test_resolve_needs_ditangani_or_menunggu(world: World) -> None:
    ticket = world.ticket()
    with pytest.raises(IllegalTransition):
        services.ticket_resolve(ticket=ticket, actor=world.vol_lotim)
    answer = services.message_create(ticket=ticket, author=world.vol_lotim, body="Simpan ulang file sebagai .xlsx")
    services.ticket_resolve(ticket=ticket, actor=world.op_a, message_id=answer.pk)
    ticket.refresh_from_db()
    assert ticket.status == Status.SELESAI and ticket.accepted_message == answer and ticket.resolved_at


def test_an_internal_note_cannot_be_the_accepted_answer(world: World) -> None:
    from django.core.exceptions import ValidationError

    ticket = world.ticket()
    services.ticket_claim(ticket=ticket, actor=world.vol_lotim)
    note = services.message_create(ticket=ticket, author=world.vol_lotim, body="internal", internal=True)
    with pytest.raises(ValidationError):
        services.ticket_resolve(ticket=ticket, actor=world.op_a, message_id=note.pk)


def test_reply_to_closed_ticket_reopens_it_and_is_kept(world: World) -> None:
    ticket = world.ticket()
    services.ticket_claim(ticket=ticket, actor=world.vol_lotim)
    services.ticket_resolve(ticket=ticket, actor=world.vol_lotim)
    services.ticket_close(ticket=ticket, actor=world.op_a)
    ticket.refresh_from_db()
    assert ticket.status == Status.DITUTUP
    message = services.message_create(ticket=ticket, author=world.op_a, body="Masalahnya muncul lagi")
    ticket.refresh_from_db()
    assert ticket.status == Status.DITANGANI
    assert Message.objects.filter(pk=message.pk).exists()


def test_operator_cannot_close_an_unsolved_ticket(world: World) -> None:
    ticket = world.ticket()
    with pytest.raises(IllegalTransition):
        services.ticket_close(ticket=ticket, actor=world.op_a)
    services.ticket_close(ticket=ticket, actor=world.vol_lotim)  # volunteers may close (spam, wrong place)
    ticket.refresh_from_db()
    assert ticket.status == Status.DITUTUP


def test_reopen_from_selesai(world: World) -> None:
    ticket = world.ticket()
    services.ticket_claim(ticket=ticket, actor=world.vol_lotim)
    services.ticket_resolve(ticket=ticket, actor=world.vol_lotim)
    services.ticket_reopen(ticket=ticket, actor=world.op_a)
    ticket.refresh_from_db()
    assert ticket.status == Status.DITANGANI and ticket.resolved_at is None


def test_claim_twice_says_who_has_it(world: World) -> None:
    ticket = world.ticket()
    services.ticket_claim(ticket=ticket, actor=world.vol_lotim)
    services.ticket_claim(ticket=ticket, actor=world.vol_lotim)  # idempotent for the holder
    with pytest.raises(DomainError) as info:
        services.ticket_claim(ticket=ticket, actor=world.vol2_lotim)
    assert status_for(info.value) == 409
    assert "sudah diambil Budi Relawan" in info.value.message


def test_duplicate_links_and_tells_the_reporter(world: World) -> None:
    original, copy = world.ticket(), world.ticket(reporter=world.op_b)
    services.ticket_mark_duplicate(ticket=copy, actor=world.vol_lotim, of=original)
    copy.refresh_from_db()
    assert copy.status == Status.DUPLIKAT and copy.duplicate_of == original
    system = Message.objects.filter(ticket=copy, kind=Message.Kind.SYSTEM).last()
    assert system is not None and original.number in system.body


def test_every_change_is_audited_with_actor_and_channel(world: World) -> None:
    ticket = world.ticket()
    services.ticket_claim(ticket=ticket, actor=world.vol_lotim, channel="telegram")
    event = TicketEvent.objects.get(ticket=ticket, action="status")
    assert (event.actor, event.old, event.new, event.channel) == (world.vol_lotim, "baru", "ditangani", "telegram")


def test_auto_close_after_seven_quiet_days(world: World) -> None:
    from datetime import timedelta

    from django.utils import timezone

    ticket = world.ticket()
    services.ticket_claim(ticket=ticket, actor=world.vol_lotim)
    services.ticket_resolve(ticket=ticket, actor=world.vol_lotim)
    assert services.auto_close_solved() == 0
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now() - timedelta(days=8))
    assert services.auto_close_solved() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.DITUTUP and ticket.closed_at
