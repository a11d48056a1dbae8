"""A request that cannot reach the database answers 503 with the contract's error body (tests/faults restarts a
real PostgreSQL under load; this is the same answer, quickly, for each kind of client)."""

from __future__ import annotations

import json

import pytest
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from helpdesk.core.middleware import DatabaseUnavailableMiddleware


def _middleware() -> DatabaseUnavailableMiddleware:
    return DatabaseUnavailableMiddleware(lambda request: HttpResponse("ok"))


@pytest.mark.parametrize("error", [OperationalError("server closed the connection unexpectedly"),
                                   InterfaceError("connection already closed")])
def test_the_api_answers_503_with_the_error_body(error: Exception) -> None:
    request = RequestFactory().post("/api/v1/tickets/")
    response = _middleware().process_exception(request, error)
    assert response is not None and response.status_code == 503
    assert response["Retry-After"] == "5"
    body = json.loads(response.content)
    assert body["code"] == "unavailable" and body["detail"]


def test_a_page_answers_503_with_the_sites_page() -> None:
    request = RequestFactory().get("/tiket/")
    response = _middleware().process_exception(request, OperationalError("connection refused"))
    assert response is not None and response.status_code == 503
    assert "text/html" in response["Content-Type"] and b"503" in response.content


def test_other_errors_are_left_to_the_500_handler() -> None:
    request = RequestFactory().get("/api/v1/tickets/")
    assert _middleware().process_exception(request, ValueError("a bug")) is None
