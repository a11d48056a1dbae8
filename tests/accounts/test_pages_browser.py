"""Issue 15 in Chromium, at 360 px and 1366 px, with JavaScript on and off: each person signs in through the form,
lands on their own work, sees one compact header whose links never answer 403, and nothing scrolls sideways.
Screenshots and page weights (bytes of HTML+CSS+JS) go to var/screenshots/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpdesk.accounts.landing import landing_url
from helpdesk.accounts.models import User
from helpdesk.tickets import services as ticket_services
from tests.conftest import AsgiServer

from .conftest import PASSWORD, World

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
ROLES = ("operator", "vol_lotim", "coord_lotim", "planner", "pending")
WEIGHT = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const res = performance.getEntriesByType("resource").filter(r => ["link", "script", "css"].includes(r.initiatorType));
  return {html: nav ? nav.decodedBodySize : 0, assets: res.reduce((n, r) => n + r.decodedBodySize, 0)};
}"""


def sign_in(browser: Any, server: AsgiServer, user: User, width: int, javascript: bool) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="id-ID", base_url=server.url,
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.goto("/masuk/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    return page


def header_links(page: Any) -> list[str]:
    return list(page.eval_on_selector_all("header.top a[href^='/']", "els => els.map(e => e.getAttribute('href'))"))


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("width", [360, 1366])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_each_person_lands_on_their_work_in_one_compact_header(
    world: World, asgi_server: AsgiServer, browser: Any, width: int, javascript: bool
) -> None:
    ticket_services.ticket_create(reporter=world.operator, title="Cetak surat keterangan gagal: halaman putih",
                                  category="kependudukan")
    SHOTS.mkdir(parents=True, exist_ok=True)
    weights: dict[str, Any] = {}
    for role in ROLES:
        user = getattr(world, role)
        page = sign_in(browser, asgi_server, user, width, javascript)
        assert page.url == f"{asgi_server.url}{landing_url(user)}", role
        assert no_sideways_scroll(page), role
        header = page.locator("header.top").bounding_box()
        assert header is not None and header["height"] <= 64, (role, header)  # one row, the menu folded
        if width >= 1366:
            who, out = page.locator(".who").bounding_box(), page.locator("text=Keluar").bounding_box()
            assert who is not None and out is not None and abs(who["y"] - out["y"]) < 8, role  # no wrap
            assert header["height"] <= 52, (role, header)  # brand, links, name, "Keluar", bell: one row
        for href in header_links(page):
            assert page.request.get(href, max_redirects=0).status != 403, (role, href)
        weights[f"{role} {landing_url(user)}"] = page.evaluate(WEIGHT)
        page.screenshot(path=str(SHOTS / f"{role}-{width}-{'js' if javascript else 'nojs'}.png"), full_page=True)
        if width == 360:  # the folded menu opens without JavaScript, and then shows the links
            page.click("label.menu-button")
            assert page.locator(".menu").is_visible()
            page.screenshot(path=str(SHOTS / f"{role}-{width}-{'js' if javascript else 'nojs'}-menu.png"))
        page.context.close()
    (SHOTS / f"weights-{width}-{'js' if javascript else 'nojs'}.json").write_text(json.dumps(weights, indent=1))
