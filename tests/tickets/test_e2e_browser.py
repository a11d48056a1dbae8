"""End to end in Chromium at phone size: file with a screenshot, claim and answer, solve and rate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpdesk.tickets.models import Attachment, Rating, Status, Ticket
from tests.browser_helpers import login_context
from tests.conftest import AsgiServer
from tests.tickets.conftest import World, png_bytes

pytestmark = pytest.mark.browser


def test_operator_files_volunteer_answers_operator_solves_and_rates(
    world: World, asgi_server: AsgiServer, browser: Any, tmp_path: Path
) -> None:
    screenshot = tmp_path / "layar-galat.png"
    screenshot.write_bytes(png_bytes(size=(800, 600)))

    operator = login_context(browser, asgi_server.url, world.op_a).new_page()
    operator.goto("/tiket/baru/")
    operator.fill("#id_title", "Gagal impor data penduduk: Data too long for column")
    operator.fill("#id_description", "Saat impor file Excel muncul galat `Data too long for column 'nama'`.")
    operator.select_option("#id_category", "kependudukan")
    operator.fill("#id_opensid_version", "v2410.0.0")
    operator.set_input_files("#id_file", str(screenshot))
    operator.click("form.ticket-form button[type=submit]")
    operator.wait_for_url("**/tiket/NTB-*/")
    number = operator.locator("header .small").first.inner_text().split(" · ")[0]
    ticket = Ticket.objects.get(number=number)
    assert ticket.forum == world.lotim
    assert Attachment.objects.filter(ticket=ticket, content_type="image/png").exists()
    assert operator.locator(".files img").count() == 1

    volunteer = login_context(browser, asgi_server.url, world.vol_lotim, phone=False).new_page()
    volunteer.goto("/antrian/?milik=belum")
    volunteer.click(f"text={number}")
    volunteer.click("text=Saya tangani")
    volunteer.wait_for_selector("text=Tiket ini sekarang Anda tangani.")
    volunteer.fill("#id_body", "Kolom nama maksimal 100 karakter. Potong nama yang terlalu panjang lalu impor ulang.")
    volunteer.click("text=Kirim balasan")
    volunteer.wait_for_selector("text=Potong nama yang terlalu panjang")

    operator.reload()
    operator.wait_for_selector("text=Potong nama yang terlalu panjang")
    assert operator.locator(".badge.status-menunggu").count() == 1
    operator.locator("input[name=message]").first.check()
    operator.click("text=Masalah selesai >> nth=-1")
    operator.wait_for_selector("text=Tiket ditandai selesai")
    operator.fill("#id_comment", "Terima kasih, langsung berhasil.")
    operator.click(".stars button[value='5']")  # issue 15: the scores are large buttons that send the form
    operator.wait_for_selector("text=Terima kasih atas penilaian Anda.")
    assert operator.locator(".stars button[aria-pressed=true]").inner_text() == "5"  # the saved score shows

    ticket.refresh_from_db()
    assert ticket.status == Status.SELESAI
    assert ticket.assignee == world.vol_lotim
    assert ticket.accepted_message is not None and "Potong nama" in ticket.accepted_message.body
    rating = Rating.objects.get(ticket=ticket)
    assert (rating.score, rating.volunteer) == (5, world.vol_lotim)


def test_volunteer_answers_with_a_canned_reply_and_the_operator_sees_the_badge(
    world: World, asgi_server: AsgiServer, browser: Any
) -> None:
    from helpdesk.tickets.canned import canned_create

    canned_create(actor=world.vol_lotim, forum=world.lotim, title="Cek versi PHP",
                  body="Halo {nama_operator}, untuk tiket {nomor_tiket}: pastikan PHP minimal 8.1 di hosting Desa {nama_desa}.")
    ticket = world.ticket(title="Halaman putih setelah update")
    operator = login_context(browser, asgi_server.url, world.op_a).new_page()
    operator.goto("/")
    assert operator.locator("#notif-badge .count").count() == 0

    volunteer = login_context(browser, asgi_server.url, world.vol_lotim, phone=False).new_page()
    volunteer.goto(ticket.get_absolute_url())
    volunteer.select_option("#id_canned", label="Cek versi PHP")
    # The script puts the text in the box to edit; placeholders are filled when it is sent.
    assert "{nama_operator}" in volunteer.input_value("#id_body")
    volunteer.click("text=Kirim balasan")
    volunteer.wait_for_selector("text=Halo Operator Tanjung Luar, untuk tiket")

    operator.goto("/")
    badge = operator.locator("#notif-badge .count")
    assert badge.inner_text() == "1"
    operator.click("#notif-badge")
    operator.wait_for_selector(f"text={ticket.number}")
    operator.click(f"text=membalas tiket {ticket.number}")
    operator.wait_for_selector("text=pastikan PHP minimal 8.1 di hosting Desa Tanjung Luar")


def test_the_queue_keys_the_page_promises(world: World, asgi_server: AsgiServer, browser: Any) -> None:
    # "Pintasan: j/k pindah baris, Enter buka tiket, s cari."
    first = world.ticket(title="Peta wilayah tidak tampil")
    world.ticket(title="Anjungan mandiri blank", reporter=world.op_b)
    page = login_context(browser, asgi_server.url, world.vol_lotim, phone=False).new_page()
    page.goto("/antrian/")
    page.keyboard.press("s")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("peta wilayah")  # typed into the box: the keys are the search's now, not shortcuts
    assert page.input_value("#q") == "peta wilayah"
    page.keyboard.press("Enter")
    page.wait_for_url("**/antrian/?*q=peta*")
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(first.get_absolute_url())
