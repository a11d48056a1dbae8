"""Bodies the server cannot take: over the size limit is a 413, unparseable is a 400, both with the JSON error body."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory


def _oversized_json() -> bytes:
    return b'{"username": "' + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'", "password": "x"}'


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/notifications/read/", "/api/v1/tickets/"])
def test_an_oversized_json_body_is_413_with_the_error_body(path: str) -> None:
    client = Client()
    client.force_login(UserFactory(username="besar"))
    response = client.post(path, _oversized_json(), content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "Isi permintaan terlalu besar.", "code": "too_large"}


@pytest.mark.django_db
def test_an_oversized_form_on_a_web_page_is_413() -> None:
    response = Client().post("/masuk/", _oversized_json(), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "Isi permintaan terlalu besar" in response.content.decode()


def test_through_daphne_no_boundary_is_400_and_oversized_is_413_both_with_json(asgi_server: Any) -> None:
    token = Token.objects.create(user=UserFactory(username="badan")).key
    for path in ("/api/v1/auth/token/", "/api/v1/tickets/", "/api/v1/notifications/read/"):
        for auth in ({"Authorization": f"Token {token}"}, {}):
            response = httpx.post(asgi_server.url + path, content=b"abc",
                                  headers={"Content-Type": "multipart/form-data", **auth})
            assert response.status_code in (400, 401), (path, response.status_code)
            body = response.json()
            assert set(body) == {"detail", "code"} and body["code"] in ("parse_error", "not_authenticated")
    big = httpx.post(asgi_server.url + "/api/v1/auth/token/", content=_oversized_json(),
                     headers={"Content-Type": "application/json"})
    assert big.status_code == 413 and big.json()["code"] == "too_large"
