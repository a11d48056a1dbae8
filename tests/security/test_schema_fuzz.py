"""Schema fuzzing: schemathesis generates requests for every operation of the OpenAPI schema (/api/v1/schema/)
and sends them to the app in-process (WSGI), as anonymous, an operator and a volunteer (token auth).

Checks: no 5xx, and every response (status, content type, headers, body) conforms to the schema.
Bounded for `make test`: HELPDESK_FUZZ_EXAMPLES examples per operation and role (default 3) and a time budget
of HELPDESK_FUZZ_SECONDS for the whole run (default 120); HELPDESK_FUZZ_COVERAGE=1 adds schemathesis'
coverage phase (boundary values of every parameter, some 14,000 cases). A long run:
    HELPDESK_FUZZ_EXAMPLES=200 HELPDESK_FUZZ_SECONDS=3600 HELPDESK_FUZZ_COVERAGE=1 pytest tests/security/test_schema_fuzz.py
The number of cases run is printed at the end of the session."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from helpdesk.accounts.services import api_token_issue
from helpdesk.wsgi import application

from .conftest import World

EXAMPLES = int(os.environ.get("HELPDESK_FUZZ_EXAMPLES", "3"))
BUDGET = float(os.environ.get("HELPDESK_FUZZ_SECONDS", "120"))
STARTED: list[float] = []
CASES = {"run": 0, "operations": 0}

CHECKS = [
    checks.not_a_server_error,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """As Django's test client does: a request must not close the test's database connection (and transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
# The coverage phase (boundary values of every parameter, ~50 cases an operation) only in the long run.
schema.config.phases.coverage.enabled = os.environ.get("HELPDESK_FUZZ_COVERAGE") == "1"


def _fuzz(case: Any, user: Any) -> None:
    if not STARTED:
        STARTED.append(time.monotonic())
    if time.monotonic() - STARTED[0] > BUDGET:
        pytest.skip(f"fuzzing time budget of {BUDGET:.0f}s spent (HELPDESK_FUZZ_SECONDS)")
    cache.clear()  # per-person write limits would turn later cases into 429s
    headers = {"Authorization": f"Token {api_token_issue(user=user)}"} if user is not None else {}
    # Pages and API bodies are gzip-compressed for clients that accept it; the WSGI transport hands schemathesis
    # the raw bytes, so ask for the plain body the schema describes.
    headers["Accept-Encoding"] = "identity"
    CASES["run"] += 1
    case.call_and_validate(headers=headers, checks=CHECKS)


FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_api_as_anonymous(case: Any) -> None:
    _fuzz(case, None)


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_api_as_an_operator(case: Any, world: World) -> None:
    _fuzz(case, world.op_a)


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_api_as_a_volunteer(case: Any, world: World) -> None:
    _fuzz(case, world.vol_lotim)
