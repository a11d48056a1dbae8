from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_home_page_is_indonesian_and_light(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="id">' in html
    assert "Pusat Bantuan Teknis OpenSID" in html
    assert len(response.content) < 20_000
    assert "<script>" not in html and "style=" not in html


def test_english_is_the_second_locale(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en">' in response.content.decode()
    assert "OpenSID Technical Help Center" in response.content.decode()


def test_security_headers(client: Client) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_api_errors_use_the_contract_body(client: Client) -> None:
    response = client.get("/api/v1/does-not-exist/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Tidak ditemukan.", "code": "not_found"}


def test_html_404_is_a_page(client: Client) -> None:
    response = client.get("/tidak-ada/")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.content.decode()


def test_openapi_schema_and_docs(client: Client) -> None:
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "SID Helpdesk API"
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"<script>" not in docs.content  # swagger's init script is a separate file, allowed by the CSP
    assert b"<style" not in docs.content and b"css/api_docs" in docs.content  # no inline style either


def test_a_form_address_opened_directly_is_a_page_with_the_way_back(client: Client) -> None:
    # A reply refused without JavaScript stays at .../balas/; Back, a bookmark or a new tab then GETs it.
    from tests.tickets.conftest import make_world

    world = make_world()
    ticket = world.ticket()
    client.force_login(world.vol_lotim)
    for address, back in ((f"/tiket/{ticket.number}/aksi/ambil/", f"/tiket/{ticket.number}/"),
                          ("/antrian/massal/", "/antrian/")):
        response = client.get(address)
        assert response.status_code == 405 and response.headers["Allow"] == "POST"
        html = response.content.decode()
        assert "Halaman ini tidak bisa dibuka langsung" in html and f'<a href="{back}">' in html
    # The API keeps its own 405 body.
    api = client.delete("/api/v1/tickets/")
    assert api.status_code == 405 and api.json()["code"] == "method_not_allowed"
