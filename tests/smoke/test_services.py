"""One smoke test per real service; the capability tests that use them come with their issues."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection

from tests.conftest import AsgiServer


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_is_the_database_in_this_pass() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    assert int(version.split(".")[0]) >= 15


@pytest.mark.redis
def test_redis_channel_layer_round_trip(redis_url: str) -> None:
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[redis_url])

    async def round_trip() -> dict[str, Any]:
        channel = await layer.new_channel()
        group = f"smoke-{uuid.uuid4().hex}"
        await layer.group_add(group, channel)
        await layer.group_send(group, {"type": "smoke.ping", "text": "halo"})
        message = await layer.receive(channel)
        await layer.flush()
        return message

    assert async_to_sync(round_trip)() == {"type": "smoke.ping", "text": "halo"}


@pytest.mark.search_engine
def test_opensearch_indexes_and_finds_with_the_indonesian_stemmer(search_url: str) -> None:
    from helpdesk.settings.env import search_config
    from search.backends.engine import EngineBackend

    config = search_config(search_url)
    backend = EngineBackend(engine=config.engine, url=config.url, timeout=10)
    # The node answers; "degraded" only means the project's own index has not been built in this node yet.
    health = backend.ping()
    assert health["status"] in {"ok", "degraded"} and health.get("version", "").startswith(("2.", "3.")), health
    from opensearchpy import OpenSearch

    index = f"smoke-{uuid.uuid4().hex}"
    client = OpenSearch(hosts=[config.url], timeout=10)
    client.indices.create(
        index=index,
        body={
            "settings": {
                "analysis": {
                    "filter": {"id_stem": {"type": "stemmer", "language": "indonesian"}},
                    "analyzer": {"id_text": {"tokenizer": "standard", "filter": ["lowercase", "id_stem"]}},
                }
            },
            "mappings": {"properties": {"title": {"type": "text", "analyzer": "id_text"}}},
        },
    )
    try:
        client.index(index=index, id="1", body={"title": "Gagal mengimpor data penduduk"}, refresh=True)
        hits = client.search(index=index, body={"query": {"match": {"title": "impor penduduk"}}})["hits"]["hits"]
        assert [h["_id"] for h in hits] == ["1"]
    finally:
        client.indices.delete(index=index)


@pytest.mark.browser
def test_chromium_renders_the_home_page_over_asgi(asgi_server: AsgiServer, phone_page: Any) -> None:
    violations: list[str] = []
    phone_page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    response = phone_page.goto(asgi_server.url + "/")
    assert response is not None and response.status == 200
    assert phone_page.locator("h1").inner_text() == "Pusat Bantuan Teknis OpenSID"
    # The stylesheet arrived (served by whitenoise from the ASGI process) and applied.
    color = phone_page.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor")
    assert color == "rgb(11, 110, 79)"
    assert violations == []


HEADER_ROW = """() => {
  // One row: every visible item of the bar overlaps every other vertically.
  const boxes = [...document.querySelectorAll("header .nav > a, header .guest a, header .menu-button")]
    .filter((el) => el.offsetParent !== null).map((el) => el.getBoundingClientRect());
  return {items: boxes.length, top: Math.max(...boxes.map((b) => b.top)),
          bottom: Math.min(...boxes.map((b) => b.bottom)), scroll: document.documentElement.scrollWidth};
}"""


@pytest.mark.browser
@pytest.mark.parametrize(("locale", "width"), [("id-ID", 360), ("en-US", 360), ("en-US", 320)])
def test_a_guests_phone_header_is_one_row(asgi_server: AsgiServer, browser: Any, locale: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 740}, locale=locale)
    try:
        page = context.new_page()
        page.goto(asgi_server.url + "/")
        layout = page.evaluate(HEADER_ROW)
        assert layout["items"] == 3 and layout["top"] < layout["bottom"], layout  # brand, "Masuk", "Menu"
        assert layout["scroll"] <= width
        # Signing up is one tap further: in the menu.
        page.click("header .menu-button")
        page.click("header .menu a[href='/daftar/']")
        page.wait_for_url("**/daftar/")
        # From a laptop width up, both links sit in the bar and the menu's copy is hidden.
        page.set_viewport_size({"width": 1024, "height": 740})
        page.goto(asgi_server.url + "/")
        assert page.locator("header .guest a[href='/daftar/']").is_visible()
        assert not page.locator("header .menu a[href='/daftar/']").is_visible()
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 360])
def test_a_signed_in_phone_header_is_one_row_with_the_unread_count(
    asgi_server: AsgiServer, browser: Any, width: int
) -> None:
    from helpdesk.notifications.models import Notification
    from tests.browser_helpers import login_context
    from tests.factories import OperatorFactory

    operator = OperatorFactory(username="op_header", desa_code="52.03.01.2001")
    Notification.objects.bulk_create(
        Notification(user=operator, type="ticket_reply", text=f"Balasan {n}") for n in range(42)
    )
    context = login_context(browser, asgi_server.url, operator)
    try:
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": 740})
        page.goto(asgi_server.url + "/kb/")
        layout = page.evaluate(HEADER_ROW)
        assert layout["items"] == 3 and layout["top"] < layout["bottom"], layout  # brand, the bell, "Menu"
        assert layout["scroll"] <= width
        assert page.locator("#notif-badge .count").inner_text() == "42"
        assert "42 notifikasi belum dibaca" in page.locator("#notif-badge").get_attribute("aria-label")
        icon = page.evaluate("getComputedStyle(document.querySelector('#notif-badge'), '::before').backgroundImage")
        assert "bell" in icon and page.locator("#notif-badge .bell-label").bounding_box()["width"] <= 1
        # From 48rem the word stands beside the count, without the icon.
        page.set_viewport_size({"width": 1024, "height": 740})
        assert page.locator("#notif-badge .bell-label").bounding_box()["width"] > 40
        assert page.evaluate("getComputedStyle(document.querySelector('#notif-badge'), '::before').display") == "none"
    finally:
        context.close()


@pytest.mark.browser
def test_a_long_header_wraps_at_tablet_widths_instead_of_scrolling(asgi_server: AsgiServer, browser: Any) -> None:
    # An admin's header holds the most links (queue, dashboards, ForSID, verification, name, sign-out, bell).
    from tests.browser_helpers import login_context
    from tests.factories import UserFactory

    admin = UserFactory(username="boss_header", name="Lalu Ahmad Fauzi Rahman", is_superuser=True, is_staff=True)
    context = login_context(browser, asgi_server.url, admin, phone=False)
    try:
        page = context.new_page()
        for width in (768, 900, 1024, 1280):
            page.set_viewport_size({"width": width, "height": 740})
            page.goto(asgi_server.url + "/forum/")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, width
            assert page.locator("header .menu >> text=Keluar").is_visible()
            assert page.evaluate("document.querySelector('.brand').getBoundingClientRect().height") < 30  # one line
    finally:
        context.close()


@pytest.mark.browser
def test_the_api_docs_render_within_the_content_security_policy(asgi_server: AsgiServer, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 740})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        response = page.goto(asgi_server.url + "/api/v1/docs/")
        assert response is not None and response.status == 200
        page.wait_for_selector(".swagger-ui .info .title")
        assert "SID Helpdesk API" in page.locator(".swagger-ui .info .title").inner_text()
        assert page.locator(".opblock").count() > 20  # the schema loaded and every operation is listed
        assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # the page's own stylesheet
        assert errors == []
    finally:
        context.close()
