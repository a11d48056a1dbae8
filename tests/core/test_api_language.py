"""DRF's own messages reach an API client in the person's language: Indonesian first, English on request."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation
from rest_framework.authtoken.models import Token

from helpdesk.core.drf_messages import DRF_MESSAGES
from tests.factories import OperatorFactory, UserFactory, region

PLACEHOLDER = re.compile(r"\{[^}]*\}")


@pytest.mark.parametrize("message", DRF_MESSAGES)
def test_each_drf_message_the_api_can_send_has_indonesian_with_its_placeholders(message: str) -> None:
    with translation.override("id"):
        indonesian = translation.gettext(message)
    with translation.override("en"):
        english = translation.gettext(message)
    assert indonesian != message and english == message
    assert sorted(PLACEHOLDER.findall(indonesian)) == sorted(PLACEHOLDER.findall(message))


@pytest.mark.django_db
def test_a_bad_token_is_refused_in_indonesian_and_in_english_on_request() -> None:
    for language, text in (("id", "Token tidak valid."), ("en", "Invalid token.")):
        response = Client().get("/api/v1/tickets/", HTTP_AUTHORIZATION="Token 0123456789abcdef",
                                HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 401
        assert response.json() == {"detail": text, "code": "authentication_failed"}
    spaced = Client().get("/api/v1/tickets/", HTTP_AUTHORIZATION="Token abc def")
    assert spaced.json()["detail"] == "Header token tidak valid: token tidak boleh berisi spasi."


@pytest.mark.django_db
def test_bodies_of_the_wrong_shape_are_refused_in_indonesian() -> None:
    region("52.03.01.2001", "Tanjung Luar")
    token = Token.objects.create(user=OperatorFactory(username="op_bahasa", desa_code="52.03.01.2001")).key
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    listed = client.post("/api/v1/tickets/", "[1, 2]", content_type="application/json")
    assert listed.status_code == 400
    assert listed.json()["fields"] == {"non_field_errors": ["Data tidak valid: harus berupa objek, bukan list."]}
    broken = client.post("/api/v1/tickets/", '{"title": ', content_type="application/json")
    assert broken.status_code == 400 and broken.json()["code"] == "parse_error"
    assert broken.json()["detail"].startswith("JSON tidak valid: Expecting value")
    english = client.post("/api/v1/tickets/", '{"title": ', content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["detail"].startswith("Invalid JSON: Expecting value")


@pytest.mark.django_db
def test_a_session_post_without_its_csrf_token_is_refused_in_words_that_say_what_to_do() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="sesi"))
    response = client.post("/api/v1/notifications/read/", {"all": True}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert response.json()["detail"].startswith("Ditolak: token CSRF tidak ada atau salah.")
    assert "CSRF Failed" not in response.json()["detail"]
