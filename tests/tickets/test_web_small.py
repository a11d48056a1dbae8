"""Issue 15's small things on the ticket page: follow, helpful answers, rating, plain-word help."""

from __future__ import annotations

from django.test import Client

from helpdesk.accounts.models import User
from helpdesk.tickets import services

from .conftest import World


def _page(user: User, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_follow_is_offered_only_to_those_not_following_by_role(world: World) -> None:
    ticket = world.ticket()
    assert "Ikuti tiket" not in _page(world.op_a, ticket.get_absolute_url())  # the reporter
    assert "Ikuti tiket" in _page(world.vol_lotim, ticket.get_absolute_url())
    services.ticket_claim(ticket=ticket, actor=world.vol_lotim)
    assert "Ikuti tiket" not in _page(world.vol_lotim, ticket.get_absolute_url())  # now the assignee


def test_helpful_answers_leave_out_the_operators_own_and_the_rating_shows_after(world: World) -> None:
    ticket = world.ticket()
    services.message_create(ticket=ticket, author=world.vol_lotim, body="Ganti versi PHP ke 8.1.")
    services.message_create(ticket=ticket, author=world.op_a, body="Sudah saya coba kemarin sore.")
    html = _page(world.op_a, ticket.get_absolute_url())
    helpful = html.split("Jawaban mana yang membantu?")[1].split("</fieldset>")[0]
    assert "Ganti versi PHP" in helpful and "Sudah saya coba" not in helpful
    client = Client()
    client.force_login(world.op_a)
    client.post(f"{ticket.get_absolute_url()}aksi/selesai/", {"message": ""})
    client.post(f"{ticket.get_absolute_url()}aksi/nilai/", {"score": "4", "comment": "Membantu"})
    rated = client.get(ticket.get_absolute_url()).content.decode()
    assert 'value="4" class="chosen" aria-pressed="true"' in rated and "Membantu</textarea>" in rated


def test_help_text_speaks_plainly(world: World) -> None:
    html = _page(world.op_a, "/tiket/baru/")
    assert "Markdown" not in html and "format sederhana" in html


def test_queue_and_ticket_page_are_compressed_to_at_most_10_kb(world: World) -> None:
    ticket = world.ticket()
    for n in range(30):
        world.ticket(title=f"Laporan nomor {n}: halaman admin lambat sekali dibuka")
    services.message_create(ticket=ticket, author=world.vol_lotim, body="Coba bersihkan cache. " * 40)
    client = Client()
    client.force_login(world.vol_lotim)
    for url in ("/antrian/", ticket.get_absolute_url()):
        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip", url
        assert len(response.content) <= 10 * 1024, (url, len(response.content))


def test_a_filter_that_finds_nothing_says_so_not_that_there_are_no_tickets(world: World) -> None:
    world.ticket()
    assert "Belum ada tiket." in _page(world.op_b, "/tiket/")
    html = _page(world.op_a, "/tiket/?status=ditutup")
    assert "Tidak ada tiket dengan status ini." in html and 'href="/tiket/"' in html and "Belum ada tiket." not in html
    words = Client().get("/kb/cari/", {"category": "kependudukan"}).content.decode()
    assert "Tulis kata kunci yang dicari" in words
    assert "Tulis kata kunci yang dicari" not in Client().get("/kb/cari/").content.decode()


def test_a_pending_operators_ticket_page_tells_them_about_their_draft(world: World) -> None:
    from helpdesk.tickets.services import drafts

    pending = world.op_b
    User.objects.filter(pk=pending.pk).update(operator_status=User.OperatorStatus.PENDING)
    pending.refresh_from_db()
    before = _page(pending, "/tiket/")
    assert "Siapkan laporan" in before and "menunggu verifikasi" in before
    drafts.draft_save(reporter=pending, title="Peta desa tidak tampil", description="Kosong.",
                      category="kependudukan")
    after = _page(pending, "/tiket/")
    assert "Peta desa tidak tampil" in after and 'href="/tiket/baru/#draf"' in after
    assert "Siapkan laporan" not in _page(world.op_a, "/tiket/")
