"""End to end in Chromium at phone size, against the real ASGI server.

1. An operator signs up, picking the desa step by step with JavaScript switched OFF; a coordinator verifies
   them; the operator signs in and is verified.
2. A volunteer accepts an invitation that a coordinator created on the web.
Plus: with JavaScript on, the desa search answers while typing (the enhancement, not a requirement).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail

from helpdesk.accounts.access import is_member_of, is_verified_operator
from helpdesk.accounts.models import ForumMembership, OperatorReview, User
from helpdesk.regions.services import import_regions
from tests.conftest import AsgiServer

from .conftest import PASSWORD, World, drain_outbox

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def phone(browser: Any, server: AsgiServer, *, javascript: bool = True) -> Any:
    context = browser.new_context(
        viewport=PHONE, locale="id-ID", base_url=server.url, java_script_enabled=javascript
    )
    return context.new_page()


def fits(page: Any) -> bool:
    """No sideways scrolling at phone width."""
    return bool(page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"])


def sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/masuk/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/masuk/" not in url)


def test_operator_signs_up_without_javascript_is_verified_and_signs_in(
    world: World, asgi_server: AsgiServer, browser: Any
) -> None:
    import_regions(["52"])

    # 1. Sign up on a phone with JavaScript off: the picker is plain forms.
    operator = phone(browser, asgi_server, javascript=False)
    operator.goto("/")
    # On a phone the header holds the brand, "Masuk" and "Menu" on one row; "Daftar" is in the menu.
    assert not operator.locator("header .guest >> text=Daftar").is_visible()
    operator.click("header >> text=Menu")
    operator.click("header .menu >> text=Daftar")
    operator.wait_for_url("**/daftar/")
    for code in ("52", "52.03", "52.03.01"):
        operator.select_option("#pilih-wilayah", code)
        operator.click("text=Lanjut")
        operator.wait_for_url(f"**/daftar/?wilayah={code}")
    operator.select_option("#pilih-wilayah", "52.03.01.2002")  # Desa Pijot, Kecamatan Keruak
    operator.click("text=Lanjut")
    operator.wait_for_selector("text=Desa Pijot")
    operator.fill("#id_name", "Baiq Hartini")
    operator.fill("#id_username", "baiq.pijot")
    operator.fill("#id_email", "baiq.pijot@contoh.desa.id")
    operator.fill("#id_phone", "0819 0765 4321")
    operator.fill("#id_password1", "Tanjung-Ringgit-8")
    operator.fill("#id_password2", "Tanjung-Ringgit-8")
    operator.click("main form button[type=submit]")
    operator.wait_for_url("**/daftar/selesai/")
    assert "menunggu verifikasi" in operator.content()
    assert fits(operator)
    new = User.objects.get(username="baiq.pijot")
    assert (new.operator_status, new.desa_id, new.phone) == ("pending", "52.03.01.2002", "+6281907654321")
    operator.context.close()
    mail.outbox.clear()
    drain_outbox()  # the worker's turn: the coordinator of the desa's forum hears of the sign-up
    assert [m.to for m in mail.outbox] == [["koord_lotim@contoh.desa.id"]]

    # 2. The coordinator of ForSID Lombok Timur signs in on a phone and verifies.
    coordinator = phone(browser, asgi_server)
    sign_in(coordinator, "koord_lotim", PASSWORD)
    coordinator.click("label.menu-button")  # issue 15: on a phone the signed-in links sit behind "Menu"
    coordinator.click("header >> text=Verifikasi")
    card = coordinator.locator(f"#operator-{new.pk}")
    card.wait_for()
    assert "Pijot" in card.inner_text() and "Keruak" in card.inner_text()
    assert fits(coordinator)
    card.locator("input[name=note]").fill("Sudah dikonfirmasi lewat grup ForSID")
    card.locator("button[value=verified]").click()
    coordinator.wait_for_selector("text=sudah diverifikasi")
    review = OperatorReview.objects.get(operator=new)
    assert (review.reviewer.username, review.decision) == ("koord_lotim", "verified")
    mail.outbox.clear()
    drain_outbox()  # the worker's turn: the operator is told by e-mail
    assert [m.to for m in mail.outbox] == [["baiq.pijot@contoh.desa.id"]]

    # 3. The operator signs in, verified.
    again = phone(browser, asgi_server)
    sign_in(again, "baiq.pijot", "Tanjung-Ringgit-8")
    again.goto("/profil/")
    assert "terverifikasi" in again.locator("main").inner_text()
    assert fits(again)
    new.refresh_from_db()
    assert is_verified_operator(new)


def test_volunteer_accepts_an_invitation(world: World, asgi_server: AsgiServer, browser: Any) -> None:
    coordinator = phone(browser, asgi_server)
    sign_in(coordinator, "koord_lotim", PASSWORD)
    coordinator.goto(f"/forsid/{world.lotim.pk}/")
    coordinator.click("text=Undang relawan")
    coordinator.select_option("#id_role", "volunteer")
    coordinator.check("input[name=categories][value=kependudukan]")
    coordinator.click("text=Buat tautan undangan")
    link = coordinator.input_value("#tautan")
    assert fits(coordinator)
    assert link.startswith(settings.SITE_URL + "/undangan/")  # links are built on SITE_URL, as in e-mail
    link = urlsplit(link).path  # this test's server listens on its own port

    invitee = phone(browser, asgi_server)
    invitee.goto(link)
    assert "ForSID Lombok Timur" in invitee.locator("h1").inner_text()
    assert invitee.is_checked("input[name=categories][value=kependudukan]")
    invitee.fill("#id_name", "Lalu Rizki")
    invitee.fill("#id_username", "lalu.rizki")
    invitee.fill("#id_email", "rizki@forsid.id")
    invitee.fill("#id_password1", "Gunung-Rinjani-3726")
    invitee.fill("#id_password2", "Gunung-Rinjani-3726")
    invitee.check("input[name=categories][value=surat-tte]")
    invitee.fill("#id_work_start", "08:00")
    invitee.fill("#id_work_end", "16:00")
    invitee.click("text=Terima undangan")
    invitee.wait_for_url(f"**/forsid/{world.lotim.pk}/")
    assert "Selamat bergabung" in invitee.content()
    assert fits(invitee)
    assert invitee.locator("#member-" + str(User.objects.get(username="lalu.rizki").pk)).count() == 1

    member = User.objects.get(username="lalu.rizki")
    assert is_member_of(member, world.lotim)
    membership = ForumMembership.objects.get(user=member)
    assert {c.slug for c in membership.categories.all()} == {"kependudukan", "surat-tte"}
    assert str(membership.work_start) == "08:00:00"
    # single use: the same link now explains itself
    other = phone(browser, asgi_server)
    other.goto(link)
    assert "sudah dipakai" in other.content()


def test_desa_search_answers_while_typing(world: World, asgi_server: AsgiServer, browser: Any) -> None:
    import_regions(["52"])
    page = phone(browser, asgi_server)
    page.goto("/daftar/")
    page.locator("[data-desa-search]").press_sequentially("tanjung lu", delay=20)
    first = page.locator("[data-desa-results] a").first
    first.wait_for()
    assert "Tanjung Luar" in first.inner_text()
    assert page.url.endswith("/daftar/")  # no page load: the list came from /api/v1/regions/
    first.click()
    page.wait_for_url("**/daftar/?desa=52.03.01.2001")
    assert page.locator("#id_desa_code").input_value() == "52.03.01.2001"
