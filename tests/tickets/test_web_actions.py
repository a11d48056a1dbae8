"""The buttons on the ticket page (`/tiket/<nomor>/aksi/<aksi>/`): each calls its service, says so, and goes back."""

from __future__ import annotations

from typing import Any

from django.contrib.messages import get_messages
from django.test import Client

from helpdesk.accounts.models import User
from helpdesk.tickets.models import Rating, Status, Ticket
from tests.tickets.conftest import World


def _web(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _act(client: Client, ticket: Ticket, action: str, **data: Any) -> tuple[str, list[str]]:
    """Where the button leads, and what it said (messages pile up until a page shows them: the newest)."""
    response = client.post(f"/tiket/{ticket.number}/aksi/{action}/", data)
    assert response.status_code == 302
    return response["Location"], [str(m) for m in get_messages(response.wsgi_request)][-1:]


def test_each_button_calls_its_service_and_says_so(world: World) -> None:
    ticket = world.ticket()
    volunteer, operator = _web(world.vol_lotim), _web(world.op_a)
    back = ticket.get_absolute_url()
    assert _act(volunteer, ticket, "ambil") == (back, ["Tiket ini sekarang Anda tangani."])
    assert _act(volunteer, ticket, "ubah", priority="tinggi") == (back, ["Tiket diperbarui."])
    assert _act(operator, ticket, "ikuti") == (back, ["Anda mengikuti tiket ini."])
    assert ticket.watchers.filter(pk=world.op_a.pk).exists()
    assert _act(operator, ticket, "berhenti-ikuti") == (back, ["Anda berhenti mengikuti tiket ini."])
    assert not ticket.watchers.filter(pk=world.op_a.pk).exists()
    assert _act(operator, ticket, "selesai") == (back, ["Terima kasih! Tiket ditandai selesai."])
    assert _act(operator, ticket, "nilai", score="5", comment="Cepat") == (back, ["Terima kasih atas penilaian Anda."])
    assert Rating.objects.get(ticket=ticket).score == 5
    assert _act(operator, ticket, "tutup") == (back, ["Tiket ditutup."])
    assert _act(operator, ticket, "buka") == (back, ["Tiket dibuka kembali."])
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee_id) == (Status.DITANGANI, "tinggi", world.vol_lotim.pk)


def test_a_refusal_is_shown_and_an_unknown_action_is_forbidden(world: World) -> None:
    ticket = world.ticket()
    location, said = _act(_web(world.op_a), ticket, "nilai", score="9")
    assert location == ticket.get_absolute_url() and len(said) == 1 and not Rating.objects.exists()
    assert _web(world.vol_lotim).post(f"/tiket/{ticket.number}/aksi/lompat/").status_code == 403


def test_actions_on_two_tickets_find_the_other_by_number(world: World) -> None:
    first, second, third = world.ticket(), world.ticket(), world.ticket()
    volunteer = _web(world.vol_lotim)
    assert _act(volunteer, first, "duplikat", of="NTB-404") == (first.get_absolute_url(),
                                                               ["Tiket tujuan tidak ditemukan."])
    assert _act(volunteer, first, "duplikat", of=second.number) == (first.get_absolute_url(),
                                                                   ["Ditandai sebagai duplikat."])
    assert Ticket.objects.get(pk=first.pk).status == Status.DUPLIKAT
    assert _act(volunteer, third, "gabung", into=f" {second.number} ") == (
        second.get_absolute_url(), [f"Tiket digabung ke {second.number}."])
