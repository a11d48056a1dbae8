"""What an integrator's script trips over in the tickets API: odd query strings and schema drift."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

from tests.schema_match import api_schema, mismatches
from tests.tickets.conftest import World, as_user


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("limit", ["\u00b2", "9" * 5000, "-1", "abc", ""])
def test_a_strange_limit_is_the_default_page_not_a_500(world: World, limit: str) -> None:
    """`"²".isdigit()` holds and int() refuses it, as it refuses 5,000 digits: both were a 500."""
    world.ticket()
    response = as_user(APIClient(), world.admin).get("/api/v1/tickets/", {"limit": limit})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 1


def test_a_huge_limit_is_clamped_to_the_largest_page(world: World) -> None:
    for i in range(3):
        world.ticket(title=f"Masalah {i}")
    response = as_user(APIClient(), world.admin).get("/api/v1/tickets/", {"limit": "1" + "0" * 40})
    assert response.status_code == 200 and len(response.json()["results"]) == 3


@pytest.mark.parametrize("raw", [b"id:\xc2\xb2", b"id:" + b"9" * 5000, b"id:" + b"9" * 25, b"id:0", b"id:"])
def test_a_forged_cursor_is_a_400_naming_it(world: World, raw: bytes) -> None:
    world.ticket()
    response = as_user(APIClient(), world.admin).get("/api/v1/tickets/", {"cursor": _cursor(raw)})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and "cursor" in body["fields"]


def test_unwatching_answers_what_the_schema_says(world: World) -> None:
    """DELETE .../watch/ answers 200 with {"watching": false}; the schema said 204 with no body."""
    ticket = world.ticket()
    client = as_user(APIClient(), world.op_a)
    response = client.delete(f"/api/v1/tickets/{ticket.pk}/watch/")
    assert response.status_code == 200 and response.json() == {"watching": False}
    documented = api_schema()["paths"]["/api/v1/tickets/{ticket_id}/watch/"]["delete"]["responses"]
    assert set(documented) >= {"200"} and "204" not in documented


def test_every_operation_documents_the_error_body() -> None:
    """The contract's `{"detail", "code", "fields"?}` is in the schema, as every operation's `default` answer and
    on each 4xx it names: before, there was no error model at all."""
    schema = api_schema()
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"detail", "code", "fields"} and set(error["required"]) == {"detail", "code"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "default" in responses, f"{method} {path}"
            for code, response in responses.items():
                if code == "default" or code.startswith("4"):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/Error", f"{method} {path} {code}"


def test_real_errors_match_the_documented_error_body(world: World) -> None:
    ticket = world.ticket()
    volunteer = as_user(APIClient(), world.vol_lotim)
    assert volunteer.post(f"/api/v1/tickets/{ticket.pk}/close/").status_code == 200
    conflict = volunteer.post(f"/api/v1/tickets/{ticket.pk}/claim/")
    invalid = volunteer.post(f"/api/v1/tickets/{ticket.pk}/duplicate/", {}, format="json")
    missing = volunteer.get("/api/v1/tickets/999999/")
    ref = api_schema()["paths"]["/api/v1/tickets/{ticket_id}/claim/"]["post"]["responses"]["default"]
    assert ref["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    error = api_schema()["components"]["schemas"]["Error"]
    for response, status in ((conflict, 409), (invalid, 400), (missing, 404)):
        assert response.status_code == status
        body = response.json()
        assert set(error["required"]) <= set(body) <= set(error["properties"]), body
        present = {"type": "object", "properties": {k: error["properties"][k] for k in body}}
        assert mismatches(present, body) == []
    assert "fields" in invalid.json() and "fields" not in conflict.json()


def test_notifications_page_with_cursor_like_the_other_lists(world: World) -> None:
    """A generic pager sends `?cursor=<next>`; the notifications list read only `before` and so answered the
    first page again, forever."""
    from helpdesk.notifications.models import Notification
    from helpdesk.notifications.selectors import PAGE

    Notification.objects.bulk_create(
        Notification(user=world.op_a, type="ticket_reply", text=f"Balasan {i}") for i in range(PAGE + 5)
    )
    client = as_user(APIClient(), world.op_a)
    seen: list[int] = []
    url = "/api/v1/notifications/"
    for _ in range(5):
        body = client.get(url).json()
        seen += [n["id"] for n in body["results"]]
        if body["next"] is None:
            break
        url = f"/api/v1/notifications/?cursor={body['next']}"
    assert len(seen) == len(set(seen)) == PAGE + 5
    parameters = api_schema()["paths"]["/api/v1/tickets/"]["get"]["parameters"]
    assert "visibility" in {p["name"] for p in parameters}


def test_the_author_edits_a_private_reply_or_note_through_the_api(world: World) -> None:
    """The web and Telegram let the author change a message within its window; the API's PATCH /messages/{id}/
    answered the author of a private ticket's reply 403 "editing other people's posts"."""
    from datetime import timedelta

    from django.utils import timezone

    from helpdesk.tickets import services
    from helpdesk.tickets.models import Message

    ticket = world.ticket()
    reply = services.message_create(ticket=ticket, author=world.vol_lotim, body="Coba impor ulang.")
    note = services.message_create(ticket=ticket, author=world.vol_lotim, body="Catatan.", internal=True)
    volunteer = as_user(APIClient(), world.vol_lotim)
    response = volunteer.patch(f"/api/v1/messages/{reply.pk}/", {"body": "Coba impor ulang berkas Excel."}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["body"] == "Coba impor ulang berkas Excel." and response.json()["edited_at"]
    assert volunteer.patch(f"/api/v1/messages/{note.pk}/", {"body": "Catatan baru."}, format="json").status_code == 200
    assert Message.objects.get(pk=note.pk).body == "Catatan baru."
    # Someone else's message is still refused, and nothing changes.
    operator = as_user(APIClient(), world.op_a)
    assert operator.patch(f"/api/v1/messages/{reply.pk}/", {"body": "x"}, format="json").status_code == 403
    assert operator.patch(f"/api/v1/messages/{note.pk}/", {"body": "x"}, format="json").status_code == 404
    # After the window: 409 with the domain's code.
    Message.objects.filter(pk=reply.pk).update(created_at=timezone.now() - timedelta(hours=1))
    late = volunteer.patch(f"/api/v1/messages/{reply.pk}/", {"body": "Terlambat."}, format="json")
    assert late.status_code == 409 and late.json()["code"] == "edit_window_closed"
    assert Message.objects.get(pk=reply.pk).body == "Coba impor ulang berkas Excel."


def test_an_api_path_without_its_slash_redirects_keeping_the_method(world: World) -> None:
    """A 301 made python-requests re-send `POST /api/v1/tickets` as a GET of the list: 200, nothing created."""
    from django.test import Client

    client = Client()
    client.force_login(world.op_a)
    body = {"title": "Tanpa garis miring", "category": "kependudukan"}
    response = client.post("/api/v1/tickets", body, content_type="application/json")
    assert response.status_code == 308 and response["Location"] == "/api/v1/tickets/"
    assert client.get("/api/v1/tickets?status=baru")["Location"] == "/api/v1/tickets/?status=baru"
    followed = client.post(response["Location"], body, content_type="application/json")
    assert followed.status_code == 201
    assert client.get("/kb").status_code == 301  # pages keep Django's redirect


def test_a_duplicate_points_at_a_ticket_that_is_not_itself_a_duplicate(world: World) -> None:
    """A -> B, B -> C, C -> A was accepted: three closed tickets, none canonical."""
    a, b, c = (world.ticket(title=f"Masalah {i}") for i in range(3))
    volunteer = as_user(APIClient(), world.vol_lotim)
    assert volunteer.post(f"/api/v1/tickets/{a.pk}/duplicate/", {"of": b.pk}, format="json").status_code == 200
    assert volunteer.post(f"/api/v1/tickets/{b.pk}/duplicate/", {"of": c.pk}, format="json").status_code == 200
    refused = volunteer.post(f"/api/v1/tickets/{c.pk}/duplicate/", {"of": a.pk}, format="json")
    assert refused.status_code == 400 and "of" in refused.json()["fields"]
    c.refresh_from_db()
    assert c.status == "baru" and c.duplicate_of_id is None


def test_a_holiday_name_too_long_is_refused_not_cut(world: World) -> None:
    client = as_user(APIClient(), world.admin)
    long_name = "Cuti bersama " + "x" * 200
    refused = client.post("/api/v1/sla/holidays/", {"date": "2027-03-01", "name": long_name}, format="json")
    assert refused.status_code == 400 and "name" in refused.json()["fields"]
    from helpdesk.tickets.models import Holiday

    assert not Holiday.objects.filter(date="2027-03-01").exists()
    assert client.post("/api/v1/sla/holidays/", {"date": "2027-03-01", "name": "Nyepi"}, format="json").status_code == 201
    # The same day again renames it: an update (200), not a second creation (201), and still one row.
    renamed = client.post("/api/v1/sla/holidays/", {"date": "2027-03-01", "name": "Hari Suci Nyepi"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Hari Suci Nyepi"
    assert Holiday.objects.filter(date="2027-03-01").count() == 1


def test_too_many_websocket_keys_is_a_429_with_retry_after(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.realtime import api as realtime_api

    monkeypatch.setattr(realtime_api, "KEYS_PER_HOUR", 1)
    client = as_user(APIClient(), world.vol_lotim)
    assert client.post("/api/v1/realtime/ticket/").status_code == 201
    refused = client.post("/api/v1/realtime/ticket/")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 3600


def test_the_ticket_list_is_for_signed_in_people_as_the_contract_says(world: World) -> None:
    public = world.ticket(title="Peta desa tidak tampil di halaman depan", visibility="public")
    anonymous = APIClient()
    listed = anonymous.get("/api/v1/tickets/")
    assert listed.status_code == 401 and listed.json()["code"] == "not_authenticated"
    # Public questions stay readable without an account: the forum's list and each ticket's own address.
    assert anonymous.get(f"/api/v1/tickets/{public.pk}/").status_code == 200
    questions = anonymous.get("/api/v1/forum/questions/").json()["results"]
    assert public.pk in [q["id"] for q in questions]
    assert as_user(APIClient(), world.op_a).get("/api/v1/tickets/").json()["results"][0]["id"] == public.pk


def test_a_change_names_the_fields_it_does_not_change_instead_of_ignoring_them(world: World) -> None:
    ticket = world.ticket()
    volunteer = as_user(APIClient(), world.vol_lotim)
    response = volunteer.patch(f"/api/v1/tickets/{ticket.pk}/", {"status": "selesai", "judul": "x"}, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert fields["status"] == ["Status berubah lewat aksi tiket: claim, resolve, close, reopen, duplicate."]
    assert fields["judul"] == ["Bidang ini tidak dapat diubah di sini."]
    ticket.refresh_from_db()
    assert ticket.status == "baru"
    # What it does change still works, and the profile and forum changes are held to the same rule.
    assert volunteer.patch(f"/api/v1/tickets/{ticket.pk}/", {"priority": "tinggi"}, format="json").status_code == 200
    me = as_user(APIClient(), world.op_a).patch("/api/v1/me/", {"username": "baru"}, format="json")
    assert me.status_code == 400 and list(me.json()["fields"]) == ["username"]
    forum = as_user(APIClient(), world.admin).patch(f"/api/v1/forums/{world.lotim.pk}/", {"slug": "x"}, format="json")
    assert forum.status_code == 400 and list(forum.json()["fields"]) == ["slug"]


@pytest.mark.parametrize(("query", "field"), [
    ({"status": "nope"}, "status"), ({"status": "baru,selesaii"}, "status"), ({"visibility": "zzz"}, "visibility"),
    ({"forum": "abc"}, "forum"), ({"assignee": "abc"}, "assignee"), ({"region": "NTB"}, "region"),
    ({"category": "tidak-ada"}, "category"),
])
def test_a_filter_value_the_list_does_not_know_is_a_400_naming_it(world: World, query: dict[str, str], field: str) -> None:
    world.ticket()
    response = as_user(APIClient(), world.vol_lotim).get("/api/v1/tickets/", query)
    assert response.status_code == 400 and list(response.json()["fields"]) == [field]


def test_known_filter_values_still_filter(world: World) -> None:
    ticket = world.ticket()
    volunteer = as_user(APIClient(), world.vol_lotim)
    for query in ({"status": "baru,ditangani"}, {"visibility": "private"}, {"forum": str(world.lotim.pk)},
                  {"assignee": "none"}, {"region": "52.03"}, {"category": "kependudukan"}):
        ids = [t["id"] for t in volunteer.get("/api/v1/tickets/", query).json()["results"]]
        assert ids == [ticket.pk], query
    assert volunteer.get("/api/v1/tickets/", {"status": "selesai"}).json()["results"] == []
