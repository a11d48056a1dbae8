"""End to end in Chromium at phone size: an operator asks in public, an operator from another village answers,
the asker accepts, and the question shows as solved and is offered for publishing. The page's QAPage data block
passes the CSP (a data block is not a script), while an inline script would not."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.community.models import Reputation
from helpdesk.tickets.models import Status, Ticket
from tests.browser_helpers import login_context
from tests.community.conftest import World
from tests.conftest import AsgiServer

pytestmark = pytest.mark.browser

WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def _page(browser: Any, server: AsgiServer, user: Any, *, phone: bool = True) -> Any:
    context = login_context(browser, server.url, user, phone=phone)
    context.add_init_script(WATCH_CSP)
    return context.new_page()


def test_ask_in_public_answer_from_another_village_accept_and_offer_for_publishing(
    world: World, asgi_server: AsgiServer, browser: Any
) -> None:
    asker = _page(browser, asgi_server, world.op_a)
    asker.goto("/forum/")
    asker.click("text=Ajukan pertanyaan")
    asker.fill("#id_title", "Surat keterangan usaha tidak bisa dicetak, NIK 5203011204850001")
    asker.fill("#id_description", "Setelah update ke v2410 muncul `Error 500` saat cetak. HP saya 081234567890.")
    asker.select_option("#id_category", "surat-tte")
    asker.fill("#id_opensid_version", "v2410.0.0")
    asker.click("button[name=kirim]")
    asker.wait_for_url("**/forum/pertanyaan/NTB-*/")
    assert "disamarkan" in asker.content()
    ticket = Ticket.objects.get()
    assert ticket.is_public and "5203011204850001" not in ticket.title and "081234567890" not in ticket.description
    url = f"/forum/pertanyaan/{ticket.number}/"

    helper = _page(browser, asgi_server, world.op_bima)  # an operator of a desa in Bima, another kabupaten
    helper.goto("/forum/?tampil=belum-dijawab")
    helper.click(f"text={ticket.title}")
    helper.wait_for_url(f"**{url}")
    helper.fill("#id_body", "Hapus folder `storage/framework/cache` lalu cetak ulang. Berhasil di desa kami.")
    helper.click("text=Kirim jawaban")
    helper.wait_for_selector("text=Jawaban Anda terkirim")
    assert helper.locator(".answer").count() == 1

    asker.goto(url)
    asker.wait_for_selector("text=Hapus folder")
    asker.click("button.accept")
    asker.wait_for_selector("text=Jawaban diterima. Pertanyaan ditandai terjawab.")
    assert asker.locator("#status-terjawab").inner_text() == "Terjawab"
    assert asker.locator(".answer.accepted").count() == 1
    assert "diusulkan menjadi entri basis pengetahuan" in asker.locator("#calon-kb").inner_text()

    ticket.refresh_from_db()
    assert ticket.status == Status.SELESAI and ticket.kb_candidate
    assert ticket.accepted_message is not None and ticket.accepted_message.author == world.op_bima
    assert Reputation.objects.get(user=world.op_bima).points == 15

    volunteer = _page(browser, asgi_server, world.vol_lotim, phone=False)
    volunteer.goto(url)
    volunteer.click("button.upvote")
    volunteer.wait_for_selector("text=Suara Anda tercatat.")
    assert volunteer.locator(".answer .score").inner_text() == "1"
    assert volunteer.locator(".answer button[aria-pressed=true]").count() == 1
    assert Reputation.objects.get(user=world.op_bima).points == 15 + 5
    publish = volunteer.locator("text=Terbitkan ke basis pengetahuan")
    assert publish.get_attribute("href") == f"/kb/baru/?ticket={ticket.pk}"

    # Anyone can read it, and search engines get the QAPage data.
    anonymous = browser.new_context(base_url=asgi_server.url, viewport={"width": 360, "height": 740})
    anonymous.add_init_script(WATCH_CSP)
    reader = anonymous.new_page()
    reader.goto(url)
    data = reader.evaluate("JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)")
    assert data["@type"] == "QAPage"
    assert data["mainEntity"]["acceptedAnswer"]["text"].startswith("Hapus folder")
    assert data["mainEntity"]["answerCount"] == 1
    assert reader.evaluate("window.__csp") == []
    # The same policy does block a real inline script: the check above could fail.
    reader.evaluate("const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
                    "document.body.appendChild(s)")
    assert reader.evaluate("window.ran") is None
    reader.wait_for_function("window.__csp.length > 0")
    assert all(v.startswith("script-src") for v in reader.evaluate("window.__csp"))
    for page in (asker, helper, volunteer):
        assert page.evaluate("window.__csp") == []
    anonymous.close()
