"""Chromium: the province dashboard and a kabupaten drill-down at phone and desktop sizes, with screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import AsgiServer
from tests.dashboards.conftest import PERIOD, Dash

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def signed_in(browser: Any, base_url: str, user: Any, width: int, height: int) -> Any:
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": width, "height": height}, locale="id-ID", base_url=base_url)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": base_url}])
    return context


@pytest.mark.parametrize(("width", "height"), [(360, 740), (1366, 900)])
def test_province_and_kabupaten_dashboards(dash: Dash, asgi_server: AsgiServer, browser: Any, width: int,
                                           height: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = signed_in(browser, asgi_server.url, dash.admin, width, height).new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"/dasbor/52/?from={PERIOD['from']}&to={PERIOD['to']}")
    page.wait_for_selector("#adopsi .tiles")
    assert page.locator("#adopsi ul.tiles > li").count() == 2
    assert page.locator("svg.chart").count() >= 3
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "horizontal scroll"
    page.screenshot(path=str(SHOTS / f"dasbor-provinsi-{width}.png"), full_page=True)
    page.click("#adopsi .tile >> text=Kabupaten Lombok Timur")
    page.wait_for_url("**/dasbor/52.03/**")
    page.wait_for_selector("#relawan")
    assert "Budi Relawan" in page.inner_text("#relawan")
    # Filters work without JavaScript: a plain GET form.
    page.select_option("#f-cat", "kependudukan")
    page.click(".dash-filters button[type=submit]")
    page.wait_for_url("**category=kependudukan**")
    assert page.inner_text(".dash-cards .card >> nth=0").strip().endswith("3")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "horizontal scroll"
    page.screenshot(path=str(SHOTS / f"dasbor-kabupaten-{width}.png"), full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e]
    page.goto("/dasbor/52.03/laporan/?bulan=2025-11")
    page.wait_for_selector(".report")
    if width == 360:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    else:
        page.emulate_media(media="print")
        assert page.locator(".top").is_hidden() and page.locator(".report .dash-cards").is_visible()
        page.screenshot(path=str(SHOTS / "laporan-bulanan-cetak.png"), full_page=True)
