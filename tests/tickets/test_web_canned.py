"""Issue 15: coordinators manage their team's canned replies on a page; volunteers pick one without JavaScript."""

from __future__ import annotations

from django.test import Client

from helpdesk.accounts.models import User
from helpdesk.tickets.models import CannedReply, Message

from .conftest import World


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_coordinator_creates_edits_and_deletes_a_canned_reply(world: World) -> None:
    coordinator = _client(world.coord_lotim)
    url = f"/forsid/{world.lotim.pk}/balasan/"
    assert coordinator.get(url).status_code == 200
    bad = coordinator.post(url, {"title": "Salah", "body": "Halo {nama_kades}"})
    assert bad.status_code == 400 and "Penanda tidak dikenal" in bad.content.decode()
    assert coordinator.post(url, {"title": "Cek PHP", "body": "Halo {nama_operator}, cek PHP."}).status_code == 302
    reply = CannedReply.objects.get(forum=world.lotim, title="Cek PHP")
    edited = coordinator.post(f"{url}{reply.pk}/", {"title": "Cek versi PHP", "body": "Halo {nama_operator}!"})
    assert edited.status_code == 302
    reply.refresh_from_db()
    assert (reply.title, reply.body) == ("Cek versi PHP", "Halo {nama_operator}!")
    # A volunteer of the team may use it but not manage it; the page answers 403 for them.
    assert _client(world.vol_lotim).get(url).status_code == 403
    assert _client(world.vol_lotim).post(f"{url}{reply.pk}/hapus/").status_code == 403
    assert coordinator.post(f"{url}{reply.pk}/hapus/").status_code == 302
    assert not CannedReply.objects.filter(pk=reply.pk).exists()


def test_volunteer_picks_a_canned_reply_and_the_server_fills_it(world: World) -> None:
    reply = CannedReply.objects.create(forum=world.lotim, title="Salam",
                                       body="Halo {nama_operator} dari Desa {nama_desa}, tiket {nomor_tiket} kami cek.")
    ticket = world.ticket()
    volunteer = _client(world.vol_lotim)
    page = volunteer.get(ticket.get_absolute_url()).content.decode()
    assert f'<option value="{reply.pk}"' in page
    sent = volunteer.post(f"{ticket.get_absolute_url()}balas/", {"canned": str(reply.pk), "body": ""})
    assert sent.status_code == 302
    body = Message.objects.filter(ticket=ticket, author=world.vol_lotim).latest("pk").body
    assert body == f"Halo {world.op_a.display_name} dari Desa {ticket.desa.name}, tiket {ticket.number} kami cek."


def test_the_coordinator_sees_the_replies_shared_with_every_team_read_only(world: World) -> None:
    shared = CannedReply.objects.create(forum=None, title="Cek versi PHP", body="Pastikan PHP minimal 8.1.")
    html = _client(world.coord_lotim).get(f"/forsid/{world.lotim.pk}/balasan/").content.decode()
    assert "Belum ada balasan siap pakai untuk tim ini." in html  # the team has none of its own ...
    assert "Cek versi PHP" in html and "1 balasan untuk semua tim" in html  # ... but its volunteers see this one
    assert f"/balasan/{shared.pk}/" not in html  # not editable from a team's page
