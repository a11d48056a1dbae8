"""The forum API's bodies are built by presenters; the output serializers that document them must say exactly
what they return (keys and types) for every endpoint."""

from __future__ import annotations

from typing import Any

from tests.community.conftest import World, answer, client_for, give_points, question, trust
from tests.schema_match import assert_matches


def test_every_forum_response_matches_its_schema(world: World, settings: Any) -> None:
    trust(world.op_a)
    asked = client_for(world.op_a).post("/api/v1/forum/questions/", {
        "title": "Cetak surat domisili error 500", "description": "Muncul galat setelah update v2410.",
        "category": "surat-tte", "opensid_version": "v2410.0.0",
    }, format="json")
    assert asked.status_code == 201, asked.json()
    assert_matches("/api/v1/forum/questions/", "post", 201, asked.json())

    ticket = question(world, reporter=world.op_b)
    reply = answer(ticket, world.op_bima)
    give_points(world.op_a, 500)
    voted = client_for(world.op_a).post(f"/api/v1/messages/{reply.pk}/vote/", {"value": 1}, format="json")
    assert voted.status_code == 200, voted.json()
    assert_matches("/api/v1/messages/{message_id}/vote/", "post", 200, voted.json())
    retracted = client_for(world.op_a).delete(f"/api/v1/messages/{reply.pk}/vote/")
    assert_matches("/api/v1/messages/{message_id}/vote/", "delete", 200, retracted.json())
    flagged = client_for(world.op_a).post(f"/api/v1/messages/{reply.pk}/flag/", {"reason": "spam"}, format="json")
    assert flagged.status_code == 201, flagged.json()
    assert_matches("/api/v1/messages/{id}/flag/", "post", 201, flagged.json())

    commented = client_for(world.vol_lotim).post(f"/api/v1/forum/questions/{ticket.pk}/comments/",
                                                 {"body": "Versi berapa?", "message": reply.pk}, format="json")
    assert commented.status_code == 201, commented.json()
    assert_matches("/api/v1/forum/questions/{ticket_id}/comments/", "post", 201, commented.json())
    accepted = client_for(world.op_b).post(f"/api/v1/tickets/{ticket.pk}/accept/", {"message": reply.pk}, format="json")
    assert accepted.status_code == 200, accepted.json()
    assert_matches("/api/v1/tickets/{ticket_id}/accept/", "post", 200, accepted.json())
    for viewer in (None, world.op_a, world.vol_lotim):
        detail = client_for(viewer).get(f"/api/v1/forum/questions/{ticket.pk}/").json()
        assert detail["answers"] and detail["answers"][0]["comments"]
        assert_matches("/api/v1/forum/questions/{ticket_id}/", "get", 200, detail)

    profile = client_for(None).get(f"/api/v1/forum/users/{world.op_bima.username}/").json()
    assert profile["answers"] and profile["accepted"]
    assert_matches("/api/v1/forum/users/{username}/", "get", 200, profile)
    asker = client_for(None).get(f"/api/v1/forum/users/{world.op_a.username}/").json()
    assert asker["questions"]
    assert_matches("/api/v1/forum/users/{username}/", "get", 200, asker)
    leaders = client_for(None).get("/api/v1/forum/leaderboard/?period=all").json()
    assert leaders["results"]
    assert_matches("/api/v1/forum/leaderboard/", "get", 200, leaders)

    listed = client_for(None).get("/api/v1/forum/questions/").json()
    assert listed["results"]
    assert_matches("/api/v1/forum/questions/", "get", 200, listed)
