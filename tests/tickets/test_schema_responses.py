"""The ticket API's bodies are built by presenters; the output serializers that document them must say exactly
what they return (keys and types) for every endpoint."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from helpdesk.tickets import services
from helpdesk.tickets.models import Ticket
from tests.schema_match import api_schema, assert_matches, mismatches, response_schema
from tests.tickets.conftest import World, as_user, png_bytes


def test_every_ticket_response_matches_its_schema(world: World, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "ticket_create": (100, 60), "message_create": (100, 60),
                            "attachment_create": (100, 60)}
    operator = as_user(APIClient(), world.op_a)
    created = operator.post("/api/v1/tickets/", {"title": "Peta desa tidak tampil", "description": "Kosong.",
                                                 "category": "kependudukan"}, format="json")
    assert created.status_code == 201
    assert_matches("/api/v1/tickets/", "post", 201, created.json())
    ticket_id = created.json()["id"]

    volunteer = as_user(APIClient(), world.vol_lotim)
    claimed = volunteer.post(f"/api/v1/tickets/{ticket_id}/claim/")
    assert_matches("/api/v1/tickets/{ticket_id}/claim/", "post", 200, claimed.json())
    reply = volunteer.post(f"/api/v1/tickets/{ticket_id}/messages/", {"body": "Coba muat ulang."}, format="json")
    assert reply.status_code == 201
    assert_matches("/api/v1/tickets/{ticket_id}/messages/", "post", 201, reply.json())
    upload = SimpleUploadedFile("layar.png", png_bytes(), content_type="image/png")
    attached = operator.post(f"/api/v1/tickets/{ticket_id}/attachments/",
                             {"file": upload, "message": str(reply.json()["id"])}, format="multipart")
    assert attached.status_code == 201
    assert_matches("/api/v1/tickets/{ticket_id}/attachments/", "post", 201, attached.json())
    services.message_create(ticket=Ticket.objects.get(pk=ticket_id), author=world.vol_lotim, body="catatan", internal=True)

    resolved = volunteer.post(f"/api/v1/tickets/{ticket_id}/resolve/", {}, format="json")
    assert resolved.status_code == 200
    assert_matches("/api/v1/tickets/{ticket_id}/resolve/", "post", 200, resolved.json())
    rated = operator.post(f"/api/v1/tickets/{ticket_id}/rate/", {"score": 5, "comment": "Cepat."}, format="json")
    assert rated.status_code == 200
    assert_matches("/api/v1/tickets/{ticket_id}/rate/", "post", 200, rated.json())

    detail = volunteer.get(f"/api/v1/tickets/{ticket_id}/").json()
    assert detail["messages"] and detail["rating"] and detail["assignee"]
    assert any(m["attachments"] for m in detail["messages"])
    assert_matches("/api/v1/tickets/{ticket_id}/", "get", 200, detail)
    assert_matches("/api/v1/tickets/{ticket_id}/", "get", 200, operator.get(f"/api/v1/tickets/{ticket_id}/").json())
    listed = volunteer.get("/api/v1/tickets/").json()
    assert listed["results"]
    assert_matches("/api/v1/tickets/", "get", 200, listed)

    services.message_create(ticket=Ticket.objects.get(pk=ticket_id), author=world.vol_lotim, body="Sudah?")
    notifications = operator.get("/api/v1/notifications/").json()
    assert notifications["results"]
    assert_matches("/api/v1/notifications/", "get", 200, notifications)
    read = operator.post("/api/v1/notifications/read/", {"all": True}, format="json")
    assert_matches("/api/v1/notifications/read/", "post", 200, read.json())


def test_the_check_sees_a_drifted_body(world: World) -> None:
    body = as_user(APIClient(), world.op_a).post(
        "/api/v1/tickets/", {"title": "Peta desa tidak tampil", "category": "kependudukan"}, format="json").json()
    problems = mismatches(response_schema("/api/v1/tickets/", "post", 201), {**body, "extra": 1, "reply_count": "0"})
    assert any("undocumented keys ['extra']" in p for p in problems)
    assert any("reply_count: str" in p for p in problems)


def test_every_volunteer_tool_response_matches_its_schema(world: World) -> None:
    volunteer = as_user(APIClient(), world.vol_lotim)
    created = volunteer.post("/api/v1/canned-replies/", {"forum": world.lotim.pk, "title": "Salam",
                                                         "body": "Halo {nama_operator}"}, format="json")
    assert created.status_code == 201, created.json()
    assert_matches("/api/v1/canned-replies/", "post", 201, created.json())
    listed = volunteer.get(f"/api/v1/canned-replies/?forum={world.lotim.pk}").json()
    assert listed["results"]
    assert_matches("/api/v1/canned-replies/", "get", 200, listed)

    canonical, duplicate = world.ticket(), world.ticket(reporter=world.op_a2)
    assert_matches("/api/v1/tickets/{ticket_id}/watch/", "post", 200,
                   volunteer.post(f"/api/v1/tickets/{canonical.pk}/watch/").json())
    merged = volunteer.post(f"/api/v1/tickets/{duplicate.pk}/merge/", {"into": canonical.pk}, format="json")
    assert merged.status_code == 200, merged.json()
    assert_matches("/api/v1/tickets/{ticket_id}/merge/", "post", 200, merged.json())
    bulk = volunteer.post("/api/v1/tickets/bulk/", {"action": "claim", "ids": [canonical.pk]}, format="json")
    assert_matches("/api/v1/tickets/bulk/", "post", 200, bulk.json())

    admin = as_user(APIClient(), world.admin)
    assert_matches("/api/v1/sla/policies/{key}/", "get", 200, admin.get("/api/v1/sla/policies/default/").json())
    policy = admin.put(f"/api/v1/sla/policies/{world.lotim.pk}/", {"targets": {"darurat": [30, 240]},
                                                                  "work_start": "07:30", "work_end": "15:30"},
                       format="json")
    assert policy.status_code == 200 and policy.json()["work_start"] == "07:30"
    assert_matches("/api/v1/sla/policies/{key}/", "put", 200, policy.json())
    holiday = admin.post("/api/v1/sla/holidays/", {"date": "2028-03-27", "name": "Nyepi"}, format="json")
    assert holiday.status_code == 201 and holiday.json()["date"] == "2028-03-27"
    assert_matches("/api/v1/sla/holidays/", "post", 201, holiday.json())
    assert_matches("/api/v1/sla/holidays/", "get", 200, admin.get("/api/v1/sla/holidays/").json())


def test_each_request_body_has_its_own_schema(db: Any) -> None:
    """Nested `InputSerializer`s share a class name; each needs its own component, or every POST documents one
    of them (the new-ticket request used to be documented as a canned reply)."""
    def body(path: str) -> dict[str, Any]:
        ref = api_schema()["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return dict(api_schema()["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"])

    assert {"title", "description", "category", "visibility"} <= set(body("/api/v1/tickets/"))
    assert set(body("/api/v1/canned-replies/")) == {"forum", "title", "body"}
    assert set(body("/api/v1/tickets/{ticket_id}/messages/")) == {"body", "internal", "canned"}
    assert set(body("/api/v1/tickets/{ticket_id}/merge/")) == {"into"}
    assert set(body("/api/v1/tickets/{ticket_id}/duplicate/")) == {"of"}
    assert set(body("/api/v1/tickets/{ticket_id}/rate/")) == {"score", "comment"}
    assert set(body("/api/v1/tickets/bulk/")) == {"action", "ids"}
    assert set(body("/api/v1/notifications/read/")) == {"ids", "all"}
