"""Schema fuzzing against a live server: schemathesis generates requests for every operation of the OpenAPI
schema (/api/v1/schema/) and sends them over HTTP to a daphne process serving the app on the test database, as
anonymous, an operator (op_a, Desa A) and a volunteer (vol_lotim, ForSID Lombok Timur) with API tokens.

Checks, for every response:
- no 5xx, and the content type, headers and body conform to the schema;
- no canary the role may not see (tests/security/canaries.py): private tickets, replies, internal notes, an
  attachment's name and a canned reply of a desa and a forum the role has no access to, each carrying a unique
  string, are seeded before the fuzzing; the response's body and headers must not hold one.
Random ids seldom name the canaries' objects, so a deterministic sweep first sends every GET operation with the
canaries' ids (in the path, and as `forum`/`message` filters, with `q=KANARI`), plus writes that name a canary in
their body (a canned reply, a duplicate or merge target). The sweep must find what the role may see (the sweep
reaches the objects), and a superuser's request must trip the same check (the check catches a leak).

Status codes are not checked against the schema (schemathesis' status_code_conformance): 59 of the 93 operations
document only their success answer, not the 400/401/403/404/429 that every operation may give; documenting them
all is a change to every API view's annotations, left for its own piece of work.

The world is seeded once for the module and committed (the server is another process); the roles run in file
order, anonymous first, so what a later role writes (a claimed or merged ticket) cannot change what an earlier role
was checked against. The server's per-person rate limits are raised through its environment (RATE_*, as in
deploy/env.example), so write operations don't turn into 429s after a few cases; the flush at the end leaves the
test database empty for the tests after this module.

Bounded for `make test`: HELPDESK_FUZZ_EXAMPLES examples per operation and role (default 3) and a time budget
of HELPDESK_FUZZ_SECONDS for the generated cases (default 120, shared evenly by operation and role: a test whose
share is spent after its first three cases stops and is reported as skipped); HELPDESK_FUZZ_COVERAGE=1 adds schemathesis' coverage phase
(boundary values of every parameter). `make soak` runs the long fuzz after its load (tests/soak: a third of
SOAK_SECONDS, 200 examples, the coverage phase, on PostgreSQL); by hand:
    HELPDESK_FUZZ_EXAMPLES=200 HELPDESK_FUZZ_SECONDS=3600 HELPDESK_FUZZ_COVERAGE=1 pytest tests/security/test_schema_fuzz.py
The number of cases run is printed at the end of the session."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, settings
from schemathesis import checks

from helpdesk.accounts.models import User
from helpdesk.accounts.services import api_token_issue
from helpdesk.categories.services import ensure_default_categories
from helpdesk.wsgi import application
from tests.conftest import running_daphne
from tests.tickets.conftest import World, make_world

from . import canaries
from .canaries import Canaries

EXAMPLES = int(os.environ.get("HELPDESK_FUZZ_EXAMPLES", "3"))
BUDGET = float(os.environ.get("HELPDESK_FUZZ_SECONDS", "120"))
CASES = {"run": 0, "sweep": 0}
# Per-person limits of the server process, far above what a run sends (the limits themselves have their own tests).
SERVER_LIMITS = dict.fromkeys((
    "RATE_TICKETS_PER_HOUR", "RATE_MESSAGES_PER_HOUR", "RATE_ATTACHMENTS_PER_HOUR", "RATE_FORUM_FLAGS_PER_HOUR",
    "RATE_FORUM_VOTES_PER_HOUR", "RATE_FORUM_COMMENTS_PER_HOUR", "FORUM_NEW_ACCOUNT_POSTS_PER_DAY",
    "RATE_KB_SEARCH_ANON_PER_MINUTE", "RATE_KB_SEARCH_USER_PER_MINUTE",
), "1000000")

CHECKS = [
    checks.not_a_server_error,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]

# The document the server serves (the test asserts the live one equals it), read in-process at collection time
# because the server only starts with the module's first test. Loaded as a plain dictionary, so that cases go
# over HTTP, not through the WSGI app.
SCHEMA_DOCUMENT = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application).raw_schema
schema = schemathesis.openapi.from_dict(SCHEMA_DOCUMENT)
# The coverage phase (boundary values of every parameter) only in the long run.
schema.config.phases.coverage.enabled = os.environ.get("HELPDESK_FUZZ_COVERAGE") == "1"
OPERATIONS = sum(m in ("get", "post", "put", "patch", "delete") for item in SCHEMA_DOCUMENT["paths"].values()
                 for m in item)
# The budget is shared evenly by the generated tests (operation x role), so that a short long run (the bounded
# `make soak` in CI) still fuzzes every operation as every role, rather than the first operations only.
SLICE = BUDGET / (3 * OPERATIONS)
ALWAYS_SENT = 3


@dataclass
class Live:
    url: str
    world: World
    canaries: Canaries
    blocker: Any
    session: requests.Session = field(default_factory=requests.Session)

    def user(self, role: str) -> User | None:
        w = self.world
        return {"anon": None, "op": w.op_a, "vol": w.vol_lotim, "admin": w.admin}[role]

    def headers(self, role: str) -> dict[str, str]:
        """The role's current token (a fuzzed sign-out-everywhere voids it, and the next request gets a new one)."""
        user = self.user(role)
        if user is None:
            return {}
        with self.blocker.unblock():
            return {"Authorization": f"Token {api_token_issue(user=user)}"}


@pytest.fixture(scope="module")
def live(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    try:
        with django_db_blocker.unblock():
            world = make_world()
            seeded = canaries.seed(world)
            for user in (world.op_a, world.vol_lotim, world.admin):
                api_token_issue(user=user)  # committed now: a test inside a transaction only reads them
        with running_daphne(Path(tmp_path_factory.mktemp("fuzz")) / "daphne.log", **SERVER_LIMITS) as server:
            live = Live(server.url, world, seeded, django_db_blocker)
            with live.session:
                served = live.session.get(f"{server.url}/api/v1/schema/?format=json", timeout=30)
                assert served.json() == SCHEMA_DOCUMENT, "the live server serves another schema than the one fuzzed"
                yield live
    finally:
        with django_db_blocker.unblock():  # as transactional_db does after a test
            call_command("flush", verbosity=0, interactive=False, reset_sequences=False, allow_cascade=False,
                         inhibit_post_migrate=False)
            ensure_default_categories()


def assert_no_canary(case: Any, response: Any, live: Live, role: str) -> None:
    leaked = canaries.found(canaries.response_text(response.content, response.headers),
                            live.canaries.hidden_from(role))
    assert not leaked, (f"{case.method} {case.formatted_path} as {role} answered {response.status_code} with data "
                        f"the role may not see: {leaked}\n{response.content[:2000]!r}")


def send(case: Any, live: Live, role: str) -> Any:
    """Send one case to the live server, check it, and return the response."""
    headers = live.headers(role)
    response = case.call(base_url=live.url, session=live.session, headers=headers, timeout=30)
    assert_no_canary(case, response, live, role)
    case.validate_response(response, checks=CHECKS, headers=headers,
                           transport_kwargs={"base_url": live.url, "headers": headers})
    return response


# --- The canary sweep ------------------------------------------------------------------------------------------


def sweep_cases(live: Live) -> Iterator[Any]:
    """Every GET operation with the canaries' ids in its integer path parameters and id filters (and q=KANARI where
    it searches), then writes that name a canary object in their body."""
    c = live.canaries
    for path, item in SCHEMA_DOCUMENT["paths"].items():
        if "get" not in item:
            continue
        operation = schema[path]["GET"]
        choices: dict[tuple[str, str], tuple[Any, ...]] = {}
        for parameter in item["get"].get("parameters", []):
            name, where, kind = parameter["name"], parameter["in"], parameter["schema"].get("type")
            if where == "path" and kind == "integer":
                choices["path", name] = c.ids_for(name)
            elif where == "query" and name in ("forum", "message"):
                choices["query", name] = (None, *c.ids_for(name))
            elif where == "query" and name == "q":
                choices["query", name] = (None, "KANARI")
        if any(where == "path" for where, _ in choices) != ("{" in path):
            continue  # a path parameter that is not an id (a username, a region code)
        for values in itertools.product(*choices.values()):
            chosen = dict(zip(choices, values, strict=True))
            yield operation.Case(
                path_parameters={n: v for (w, n), v in chosen.items() if w == "path"},
                query={n: v for (w, n), v in chosen.items() if w == "query" and v is not None},
            )
    writes = [
        ("/api/v1/tickets/{ticket_id}/messages/", c.own_ticket, {"body": "", "canned": c.canned}),
        ("/api/v1/tickets/{ticket_id}/messages/", c.desa_b_ticket, {"body": "", "canned": c.canned}),
        ("/api/v1/tickets/{ticket_id}/duplicate/", c.desa_b_ticket, {"of": c.bima_ticket}),
        ("/api/v1/tickets/{ticket_id}/merge/", c.desa_b_ticket, {"into": c.bima_ticket}),
    ]
    for path, ticket, body in writes:
        yield schema[path]["POST"].Case(path_parameters={"ticket_id": ticket}, body=body,
                                        media_type="application/json")


@pytest.mark.parametrize("role", ["anon", "op", "vol"])
def test_the_canary_sweep(live: Live, role: str) -> None:
    seen: set[str] = set()
    for case in sweep_cases(live):
        response = send(case, live, role)
        CASES["sweep"] += 1
        seen.update(canaries.found(canaries.response_text(response.content, response.headers), live.canaries.text))
    missing = canaries.SEEN[role] - seen
    assert not missing, f"the sweep as {role} never reached {sorted(missing)}: the leak check would be vacuous"


# The mark makes pytest-django create the test database when this module runs alone (the other tests use the
# module's committed world, outside any test transaction); this test only reads. pytest-django runs it among the
# database tests, ahead of the rest of the module, which then get a live server and world of their own.
@pytest.mark.django_db
def test_the_canary_check_catches_a_leak(live: Live) -> None:
    """The negative control: the same requests as a superuser show the Bima ticket and attachment, and the check
    says so."""
    case = schema["/api/v1/tickets/{ticket_id}/"]["GET"].Case(path_parameters={"ticket_id": live.canaries.bima_ticket})
    response = case.call(base_url=live.url, session=live.session, headers=live.headers("admin"), timeout=30)
    assert response.status_code == 200
    with pytest.raises(AssertionError, match="bima_ticket"):
        assert_no_canary(case, response, live, "vol")
    attachment = schema["/api/v1/attachments/{attachment_id}/"]["GET"].Case(
        path_parameters={"attachment_id": live.canaries.attachments[0]})
    response = attachment.call(base_url=live.url, session=live.session, headers=live.headers("admin"), timeout=30)
    assert response.status_code == 200
    with pytest.raises(AssertionError, match="bima_file"):
        assert_no_canary(attachment, response, live, "vol")


# --- Generated cases -------------------------------------------------------------------------------------------


@dataclass
class TimeSlice:
    """One test's share of the budget (set up once per test, not per hypothesis example). The first cases of a
    test are always sent, so that a busy machine does not make `make test` fuzz less."""

    ends: float
    sent: int = 0


@pytest.fixture
def time_slice() -> TimeSlice:
    return TimeSlice(ends=time.monotonic() + SLICE)


def _fuzz(case: Any, live: Live, role: str, time_slice: TimeSlice) -> None:
    if time_slice.sent >= ALWAYS_SENT and time.monotonic() > time_slice.ends:
        pytest.skip(f"this operation's share of the fuzzing budget ({SLICE:.2f}s of HELPDESK_FUZZ_SECONDS={BUDGET:.0f}) "
                    f"is spent after {time_slice.sent} cases, each checked")
    time_slice.sent += 1
    CASES["run"] += 1
    send(case, live, role)


FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@schema.parametrize()
@FUZZ
def test_api_as_anonymous(case: Any, live: Live, time_slice: TimeSlice) -> None:
    _fuzz(case, live, "anon", time_slice)


@schema.parametrize()
@FUZZ
def test_api_as_an_operator(case: Any, live: Live, time_slice: TimeSlice) -> None:
    _fuzz(case, live, "op", time_slice)


@schema.parametrize()
@FUZZ
def test_api_as_a_volunteer(case: Any, live: Live, time_slice: TimeSlice) -> None:
    _fuzz(case, live, "vol", time_slice)
