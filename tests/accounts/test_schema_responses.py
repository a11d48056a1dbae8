"""The accounts and forums API's bodies match the output serializers that document them (keys and types)."""

from __future__ import annotations

from tests.schema_match import assert_matches

from .conftest import World
from .test_invitations import accept, invite
from .test_register import URL as REGISTER
from .test_register import body as register_body


def test_every_account_response_matches_its_schema(world: World) -> None:
    me = world.client(world.vol_lotim).get("/api/v1/me/")
    assert_matches("/api/v1/me/", "get", 200, me.json())
    patched = world.client(world.operator).patch("/api/v1/me/", {"name": "Operator Baru"}, format="json")
    assert_matches("/api/v1/me/", "patch", 200, patched.json())

    registered = world.client(None).post(REGISTER, register_body(), format="json")
    assert registered.status_code == 201, registered.json()
    assert_matches("/api/v1/accounts/register/", "post", 201, registered.json())
    verified = world.client(world.coord_lotim).post(f"/api/v1/accounts/{world.pending.pk}/verify/", {}, format="json")
    assert verified.status_code == 200, verified.json()
    assert_matches("/api/v1/accounts/{user_id}/verify/", "post", 200, verified.json())
    pending = world.client(world.coord_ntb).get("/api/v1/accounts/pending/")
    assert pending.json()
    assert_matches("/api/v1/accounts/pending/", "get", 200, pending.json())

    created = invite(world, categories=["kependudukan"])
    assert_matches("/api/v1/forums/{forum_id}/invitations/", "post", 201, created)
    invitations = world.client(world.coord_lotim).get(f"/api/v1/forums/{world.lotim.pk}/invitations/")
    assert_matches("/api/v1/forums/{forum_id}/invitations/", "get", 200, invitations.json())
    accepted = accept(created["token"])
    assert accepted.status_code == 201, accepted.json()
    assert_matches("/api/v1/accounts/accept-invite/", "post", 201, accepted.json())

    admin = world.client(world.admin)
    assert_matches("/api/v1/forums/", "get", 200, admin.get("/api/v1/forums/").json())
    assert_matches("/api/v1/forums/{forum_id}/", "get", 200, admin.get(f"/api/v1/forums/{world.lotim.pk}/").json())
    members = admin.get(f"/api/v1/forums/{world.lotim.pk}/members/").json()
    assert members
    assert_matches("/api/v1/forums/{forum_id}/members/", "get", 200, members)
