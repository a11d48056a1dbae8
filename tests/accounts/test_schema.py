"""The OpenAPI schema documents every route of people, forums, regions and categories."""

from __future__ import annotations

from typing import Any

from django.test import Client

PATHS = {
    "/api/v1/me/": {"get", "patch"},
    "/api/v1/auth/token/": {"post", "delete"},
    "/api/v1/auth/sign-out-everywhere/": {"post"},
    "/api/v1/accounts/register/": {"post"},
    "/api/v1/accounts/pending/": {"get"},
    "/api/v1/accounts/accept-invite/": {"post"},
    "/api/v1/accounts/{user_id}/verify/": {"post"},
    "/api/v1/accounts/{user_id}/reject/": {"post"},
    "/api/v1/accounts/{user_id}/deactivate/": {"post"},
    "/api/v1/forums/": {"get", "post"},
    "/api/v1/forums/{forum_id}/": {"get", "patch"},
    "/api/v1/forums/{forum_id}/members/": {"get", "post"},
    "/api/v1/forums/{forum_id}/members/{user_id}/": {"patch"},
    "/api/v1/forums/{forum_id}/members/{user_id}/deactivate/": {"post"},
    "/api/v1/forums/{forum_id}/invitations/": {"get", "post"},
    "/api/v1/forums/{forum_id}/invitations/{invitation_id}/revoke/": {"post"},
    "/api/v1/regions/": {"get"},
    "/api/v1/regions/{code}/": {"get"},
    "/api/v1/categories/": {"get"},
}


def test_every_route_is_documented_with_its_bodies(db: Any) -> None:
    schema = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    for path, methods in PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path
    register = schema["paths"]["/api/v1/accounts/register/"]["post"]
    assert set(register["responses"]) >= {"201", "400"}
    body = register["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/RegisterInputRequest")
    fields = schema["components"]["schemas"]["RegisterInputRequest"]
    assert set(fields["required"]) == {"username", "password", "email", "desa_code"}
    me = schema["components"]["schemas"]["MeOutput"]["properties"]
    assert {"id", "username", "name", "roles", "desa_code", "forums"} <= set(me)
    assert "429" in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
