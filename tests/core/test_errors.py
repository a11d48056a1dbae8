"""Domain errors are plain Python: the API's handler alone gives them a status, and one function words them for
web pages and Telegram."""

from __future__ import annotations

import ast
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import RequestFactory
from rest_framework.views import APIView

from helpdesk.core.api import exception_handler
from helpdesk.core.errors import DomainError, RateLimited, TooLarge
from helpdesk.core.refusals import person_message

ROOT = Path(__file__).resolve().parents[2]


def _handle(exc: Exception) -> tuple[int, dict[str, object], dict[str, str]]:
    view = APIView()
    view.request = RequestFactory().get("/api/v1/x/")
    response = exception_handler(exc, {"view": view, "request": view.request})
    assert response is not None
    return response.status_code, dict(response.data), dict(response.headers)


def test_each_domain_error_has_its_status_and_body() -> None:
    assert _handle(DomainError("Sudah diambil.", code="already_claimed"))[:2] == (
        409, {"detail": "Sudah diambil.", "code": "already_claimed"})
    assert _handle(DomainError())[1]["code"] == "conflict"
    status, body, _headers = _handle(TooLarge("Terlalu panjang.", code="query_too_long"))
    assert (status, body) == (413, {"detail": "Terlalu panjang.", "code": "query_too_long"})


def test_rate_limited_keeps_retry_after() -> None:
    status, body, headers = _handle(RateLimited("Coba lagi besok.", retry_after=60))
    assert status == 429 and body["code"] == "throttled" and headers["Retry-After"] == "60"
    assert str(body["detail"]).startswith("Coba lagi besok.")
    status, body, headers = _handle(RateLimited("Tunggu."))
    assert status == 429 and body == {"detail": "Tunggu.", "code": "throttled"} and "Retry-After" not in headers


def test_django_refusals_keep_their_statuses() -> None:
    assert _handle(Http404())[0] == 404
    assert _handle(PermissionDenied("Tidak boleh."))[:2] == (403, {"detail": "Tidak boleh.", "code": "permission_denied"})
    status, body, _headers = _handle(ValidationError({"title": ["Wajib diisi."]}))
    assert status == 400 and body["code"] == "invalid" and body["fields"] == {"title": ["Wajib diisi."]}


def test_one_message_for_people() -> None:
    assert person_message(DomainError("Sudah diambil.")) == "Sudah diambil."
    assert person_message(RateLimited("Coba lagi besok.", retry_after=60)) == "Coba lagi besok."
    assert person_message(ValidationError({"body": ["Kosong."], "file": ["Besar."]})) == "Kosong. Besar."
    assert person_message(PermissionDenied("Hanya relawan.")) == "Hanya relawan."
    assert person_message(PermissionDenied()) != ""
    assert person_message(Http404("No Ticket matches the given query.")) != "No Ticket matches the given query."
    assert person_message(Http404(), not_found="Tiket tidak ditemukan.") == "Tiket tidak ditemukan."


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_domain_code_does_not_speak_http() -> None:
    """The errors module has no HTTP in it, and no service, selector, access or lifecycle module imports DRF."""
    assert not {m for m in _imports(ROOT / "helpdesk/core/errors.py") if m.startswith(("rest_framework", "django.http"))}
    domain = [p for p in sorted((ROOT / "helpdesk").glob("*/*.py"))
              if p.stem.split("_")[0] in {"services", "selectors", "access", "lifecycle", "limits"}]
    offenders = [
        str(path.relative_to(ROOT)) for path in domain
        # Token is the account's API key, a model that the accounts service creates and revokes.
        if any(m.startswith("rest_framework.") and m != "rest_framework.authtoken.models" for m in _imports(path))
    ]
    assert offenders == []


def test_429_says_the_wait_in_the_persons_language() -> None:
    from rest_framework.exceptions import Throttled

    _status, body, headers = _handle(RateLimited("Coba lagi besok.", retry_after=900))
    assert body["detail"] == "Coba lagi besok. Coba lagi dalam 15 menit." and headers["Retry-After"] == "900"
    status, body, headers = _handle(Throttled(wait=30))  # a DRF throttle class's own refusal
    assert status == 429 and headers["Retry-After"] == "30"
    assert "Expected" not in body["detail"] and body["detail"] == "Terlalu banyak permintaan. Coba lagi dalam 1 menit."
