"""Opening a ticket reads its notifications; the list offers actions that read as actions."""

from __future__ import annotations

from django.test import Client

from helpdesk.notifications.models import Notification
from helpdesk.tickets import services

from .conftest import World


def test_opening_a_ticket_marks_its_notifications_read(world: World) -> None:
    ticket = world.ticket()
    other = world.ticket(title="Laporan lain yang belum dibuka")
    services.message_create(ticket=ticket, author=world.vol_lotim, body="Coba impor ulang dengan format CSV.")
    services.message_create(ticket=other, author=world.vol_lotim, body="Sedang kami periksa.")
    unread = Notification.objects.filter(user=world.op_a, read_at__isnull=True)
    assert unread.filter(ticket_id=ticket.pk).exists() and unread.filter(ticket_id=other.pk).exists()
    client = Client()
    client.force_login(world.op_a)
    before = client.get("/notifikasi/").content.decode()
    assert "Tandai dibaca" in before and "Tandai semua sudah dibaca" in before and "Sudah dibaca" not in before
    assert client.get(ticket.get_absolute_url()).status_code == 200
    assert not unread.filter(ticket_id=ticket.pk).exists()
    assert unread.filter(ticket_id=other.pk).exists()  # only the opened ticket's
    client.post("/notifikasi/baca/")
    assert not unread.exists()
