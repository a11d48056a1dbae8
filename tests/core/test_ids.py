"""Numbers too large for the database: 400 with `fields`, or 404, never a 500 (issue 16), on SQLite and PostgreSQL.

Both databases take part: SQLite raises OverflowError on an integer past 64 bits, PostgreSQL a range error or a
numeric comparison, so each run of the suite checks the one it is on.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from helpdesk.community.services import question_url
from helpdesk.core.ids import MAX_ID, query_id, to_id
from tests.factories import ForumFactory, UserFactory, volunteer
from tests.tickets.conftest import World, world

pytestmark = pytest.mark.django_db
__all__ = ["world"]  # a fixture

HUGE = "18446744073709551616"  # 2**64
JUST_OVER = str(MAX_ID + 1)
TWENTY = "99999999999999999999"


@pytest.fixture
def people() -> dict[str, Any]:
    forum = ForumFactory(regions=["52.03"])
    coordinator = volunteer(forum, role="coordinator", username="koord_ids")
    admin = UserFactory(username="admin_ids", is_staff=True, is_superuser=True)
    return {"forum": forum, "coordinator": coordinator, "admin": admin}


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def web(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_400_on(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"], body


@pytest.mark.parametrize("number", [HUGE, JUST_OVER, TWENTY])
@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/tickets/?forum={n}", "forum"),
    ("/api/v1/tickets/?assignee={n}", "assignee"),
    ("/api/v1/notifications/?before={n}", "before"),
    ("/api/v1/forum/moderation/?forum={n}", "forum"),
    ("/api/v1/forum/leaderboard/?forum={n}", "forum"),
    ("/api/v1/canned-replies/?forum={n}", "forum"),
])
def test_id_filters_on_the_api_give_400_with_fields(people: dict[str, Any], path: str, field: str,
                                                    number: str) -> None:
    assert_400_on(api(people["admin"]).get(path.format(n=number)), field)


@pytest.mark.parametrize("number", [HUGE, JUST_OVER, TWENTY])
def test_ids_in_bodies_give_400_with_fields(people: dict[str, Any], number: str) -> None:
    client = api(people["admin"])
    assert_400_on(client.post("/api/v1/notifications/read/", {"ids": [int(number)]}, format="json"), "ids")
    assert_400_on(client.post("/api/v1/tickets/bulk/", {"ids": [int(number)], "action": "close"}, format="json"), "ids")


@pytest.mark.parametrize("number", [HUGE, JUST_OVER, TWENTY])
@pytest.mark.parametrize("path", [
    "/api/v1/tickets/{n}/", "/api/v1/tickets/{n}/messages/", "/api/v1/forums/{n}/", "/api/v1/forums/{n}/members/",
    "/api/v1/kb/entries/{n}/", "/api/v1/forum/questions/{n}/", "/api/v1/messages/{n}/vote/",
    "/api/v1/regions/{n}/",
])
def test_ids_in_api_paths_give_404(people: dict[str, Any], path: str, number: str) -> None:
    response = api(people["admin"]).get(path.format(n=number))
    assert response.status_code in (404, 405), response.content[:300]
    if response.status_code == 404:
        assert set(response.json()) == {"detail", "code"}


@pytest.mark.parametrize("number", [HUGE, JUST_OVER, TWENTY])
def test_web_pages_give_400_or_404(people: dict[str, Any], number: str) -> None:
    client = web(people["admin"])
    assert client.get(f"/antrian/?forum={number}").status_code == 400
    assert client.get(f"/notifikasi/?sebelum={number}").status_code == 400
    assert client.get(f"/forum/peringkat/?forum={number}").status_code == 400
    assert client.get(f"/tiket/id/{number}/").status_code == 404
    assert client.get(f"/kb/{number}/").status_code == 404
    assert client.get(f"/forsid/{number}/").status_code == 404
    assert client.post("/notifikasi/baca/", {"id": [number]}).status_code == 302


def test_the_forum_region_filter_works(people: dict[str, Any]) -> None:
    for value in ("52.03", TWENTY):
        response = APIClient().get(f"/api/v1/forum/questions/?region={value}")
        assert response.status_code == 200 and response.json()["results"] == []


def test_the_helpers() -> None:
    assert to_id("12") == 12 and to_id(12) == 12 and to_id(str(MAX_ID)) == MAX_ID
    assert to_id(JUST_OVER) is None and to_id("0") is None and to_id("-1") is None and to_id(True) is None
    assert to_id("9" * 5000) is None and to_id("") is None and to_id(None) is None
    assert query_id({"forum": "x"}, "forum") is None and query_id({}, "forum") is None
    assert query_id({"forum": "007"}, "forum") == 7
    with pytest.raises(Exception) as err:
        query_id({"forum": "9" * 5000}, "forum")
    assert "forum" in err.value.message_dict  # type: ignore[attr-defined]


# str.isdigit() holds for each, and int() refuses the first two: found by the schema fuzzing (GET
# /api/v1/sla/policies/%C2%B9/ answered 500).
NOT_ASCII_DIGITS = ["¹", "²³", "١٢"]


@pytest.mark.parametrize("raw", NOT_ASCII_DIGITS)
def test_digits_that_are_not_ascii_are_no_ids(world: World, raw: str) -> None:
    assert to_id(raw) is None
    client = api(world.admin)
    assert client.get(f"/api/v1/sla/policies/{raw}/").status_code == 404
    for path in (f"/api/v1/forum/questions/?limit={raw}", f"/api/v1/forum/questions/?q=impor&limit={raw}"):
        response = client.get(path)
        assert response.status_code == 200, response.content[:300]
    question = world.ticket(reporter=world.op_b, visibility="public")
    page = web(world.admin).get(f"{question_url(question)}?halaman={raw}")
    assert page.status_code == 200
