"""End to end in Chromium at phone size: an operator types a question, and a matching solved answer appears under
the form before they submit; they open it, vote it helpful, and file nothing."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.kb.models import DeflectionLog, Entry
from helpdesk.tickets.models import Ticket
from tests.browser_helpers import login_context
from tests.conftest import AsgiServer
from tests.kb.conftest import World, publish

pytestmark = pytest.mark.browser


def test_operator_sees_a_matching_answer_while_typing(world: World, asgi_server: AsgiServer, browser: Any) -> None:
    publish(world, title="Peta wilayah desa tidak tampil", category="peta-wilayah", answer="Isi koordinat desa.")
    answer = publish(world, title="Gagal impor data penduduk dari Excel: Data too long for column",
                     answer="Potong isian kolom nama menjadi maksimal 100 karakter, lalu impor ulang file Excel.")
    page = login_context(browser, asgi_server.url, world.op_a).new_page()
    page.goto("/tiket/baru/")
    assert page.locator("#saran").is_hidden()
    page.locator("#id_title").press_sequentially("gmn impor data penduduk dr excel, gagal terus", delay=10)
    link = page.locator("#saran li a").first
    link.wait_for(state="visible", timeout=10_000)
    assert link.inner_text() == answer.title
    assert page.locator("#saran li mark").count() >= 1  # highlighted words, rebuilt safely by the script
    assert Ticket.objects.count() == 0  # nothing was submitted
    log = DeflectionLog.objects.get(entry=answer)
    assert log.channel == "live" and log.user == world.op_a

    with page.context.expect_page() as opened:
        link.click()
    entry_page = opened.value
    entry_page.wait_for_load_state()
    assert entry_page.locator("h1").inner_text() == answer.title
    entry_page.click("text=Ya, membantu")
    entry_page.wait_for_selector("text=Terima kasih atas penilaian Anda.")
    log.refresh_from_db()
    assert log.opened_at is not None and log.ticket is None
    assert Entry.objects.get(pk=answer.pk).helpful_yes == 1


def test_public_kb_pages_fit_a_phone_without_an_account(world: World, asgi_server: AsgiServer, browser: Any) -> None:
    entry = publish(world, title="Tidak bisa login Layanan Mandiri, PIN selalu salah",
                    answer="Periksa NIK warga dan gunakan PIN terbaru; buka kunci akun di menu pendaftar.")
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID", base_url=asgi_server.url)
    page = context.new_page()
    page.goto("/kb/")
    page.fill("#kb-q", "tdk bisa login layanan mandiri")
    page.click("main form.site-search button")
    page.wait_for_url("**/cari/?q=*")
    page.click(f"a[href^='{entry.get_absolute_url()}?cari=']")  # the link carries its search-log id
    page.wait_for_selector("text=Apakah ini membantu?")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width
    context.close()
