"""The ticket API's bodies are built by presenters; the output serializers that document them must say exactly
what they return (keys and types) for every endpoint."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from helpdesk.tickets import services
from helpdesk.tickets.models import Ticket
from tests.schema_match import assert_matches, mismatches, response_schema
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


def test_the_check_sees_a_drifted_body(world: World) -> None:
    body = as_user(APIClient(), world.op_a).post(
        "/api/v1/tickets/", {"title": "Peta desa tidak tampil", "category": "kependudukan"}, format="json").json()
    problems = mismatches(response_schema("/api/v1/tickets/", "post", 201), {**body, "extra": 1, "reply_count": "0"})
    assert any("undocumented keys ['extra']" in p for p in problems)
    assert any("reply_count: str" in p for p in problems)
