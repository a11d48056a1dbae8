"""Every role against every action of this issue, through the API.

Forum A is ForSID Lombok Timur, forum B is ForSID Bima. `coord_b` is the coordinator of forum B acting on
forum A, which must be refused (403) exactly like anyone else outside forum A.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from helpdesk.accounts import forum_services
from tests.factories import UserFactory

from .conftest import DESA_A, World

ROLES = ["anonymous", "outsider", "pending", "operator", "vol_a", "coord_a", "coord_b", "planner", "admin"]
ROLE_USER = {
    "outsider": "outsider",
    "pending": "pending",
    "operator": "operator",
    "vol_a": "vol_lotim",
    "coord_a": "coord_lotim",
    "coord_b": "coord_bima",
    "planner": "planner",
    "admin": "admin",
}
Action = Callable[[World, APIClient, int], Any]


def _register(w: World, c: APIClient, n: int) -> Any:
    body = {"username": f"op.matrix{n}", "password": "Kuta-Mandalika-5", "email": f"m{n}@contoh.desa.id", "desa_code": DESA_A}
    return c.post("/api/v1/accounts/register/", body, format="json")


def _accept(w: World, c: APIClient, n: int) -> Any:
    new = forum_services.invitation_create(actor=w.admin, forum=w.lotim)
    body = {"token": new.token, "username": f"undangan{n}", "password": "Kuta-Mandalika-5", "email": f"u{n}@forsid.id"}
    return c.post("/api/v1/accounts/accept-invite/", body, format="json")


def _add_member(w: World, c: APIClient, n: int) -> Any:
    UserFactory(username=f"calon{n}")
    return c.post(f"/api/v1/forums/{w.lotim.pk}/members/", {"username": f"calon{n}"}, format="json")


# action → (request, {role: status}, status for every other role)
MATRIX: dict[str, tuple[Action, dict[str, int], int]] = {
    "me": (lambda w, c, n: c.get("/api/v1/me/"), {}, 200),
    "register operator": (_register, {}, 201),
    "list pending operators": (
        lambda w, c, n: c.get("/api/v1/accounts/pending/"),
        {"coord_a": 200, "coord_b": 200, "admin": 200},
        403,
    ),
    "verify operator of A": (
        lambda w, c, n: c.post(f"/api/v1/accounts/{w.pending.pk}/verify/"),
        {"coord_a": 200, "admin": 200},
        403,
    ),
    "reject operator of A": (
        lambda w, c, n: c.post(f"/api/v1/accounts/{w.pending.pk}/reject/", {"note": "x"}),
        {"coord_a": 200, "admin": 200},
        403,
    ),
    "deactivate operator of A": (
        lambda w, c, n: c.post(f"/api/v1/accounts/{w.operator.pk}/deactivate/"),
        {"coord_a": 200, "admin": 200},
        403,
    ),
    "list forums": (lambda w, c, n: c.get("/api/v1/forums/"), {}, 200),
    "read forum A": (
        lambda w, c, n: c.get(f"/api/v1/forums/{w.lotim.pk}/"),
        {"vol_a": 200, "coord_a": 200, "admin": 200},
        403,
    ),
    "create forum": (
        lambda w, c, n: c.post("/api/v1/forums/", {"name": f"Forum {n}"}, format="json"),
        {"admin": 201},
        403,
    ),
    "change forum A": (
        lambda w, c, n: c.patch(f"/api/v1/forums/{w.lotim.pk}/", {"mode": "auto"}, format="json"),
        {"admin": 200},
        403,
    ),
    "invite to forum A": (
        lambda w, c, n: c.post(f"/api/v1/forums/{w.lotim.pk}/invitations/", {"role": "volunteer"}, format="json"),
        {"coord_a": 201, "admin": 201},
        403,
    ),
    "list invitations of forum A": (
        lambda w, c, n: c.get(f"/api/v1/forums/{w.lotim.pk}/invitations/"),
        {"coord_a": 200, "admin": 200},
        403,
    ),
    "accept an invitation": (_accept, {}, 201),
    "list members of forum A": (
        lambda w, c, n: c.get(f"/api/v1/forums/{w.lotim.pk}/members/"),
        {"vol_a": 200, "coord_a": 200, "admin": 200},
        403,
    ),
    "add member to forum A": (_add_member, {"coord_a": 201, "admin": 201}, 403),
    "change a volunteer of forum A": (
        lambda w, c, n: c.patch(f"/api/v1/forums/{w.lotim.pk}/members/{w.vol_lotim.pk}/", {"available": False}, format="json"),
        {"vol_a": 200, "coord_a": 200, "admin": 200},
        403,
    ),
    "deactivate a volunteer of forum A": (
        lambda w, c, n: c.post(f"/api/v1/forums/{w.lotim.pk}/members/{w.vol_lotim.pk}/deactivate/"),
        {"coord_a": 200, "admin": 200},
        403,
    ),
    "revoke own API token": (lambda w, c, n: c.delete("/api/v1/auth/token/"), {}, 204),
    "sign out everywhere": (lambda w, c, n: c.post("/api/v1/auth/sign-out-everywhere/"), {}, 204),
    "search regions": (lambda w, c, n: c.get("/api/v1/regions/", {"q": "tanjung"}), {"anonymous": 200}, 200),
    "read a region": (lambda w, c, n: c.get("/api/v1/regions/52.03/"), {"anonymous": 200}, 200),
    "list categories": (lambda w, c, n: c.get("/api/v1/categories/"), {"anonymous": 200}, 200),
}
PUBLIC = {"register operator", "accept an invitation", "search regions", "read a region", "list categories"}
CASES = list(itertools.product(MATRIX, ROLES))


def expected(action: str, role: str) -> int:
    _request, special, default = MATRIX[action]
    if role in special:
        return special[role]
    if role == "anonymous" and action not in PUBLIC:
        return 401
    return default


@pytest.mark.parametrize(("action", "role"), CASES, ids=[f"{a} | {r}" for a, r in CASES])
def test_permission_matrix(world: World, action: str, role: str) -> None:
    request, _special, _default = MATRIX[action]
    user = getattr(world, ROLE_USER[role]) if role in ROLE_USER else None
    client = world.client(user)
    response = request(world, client, CASES.index((action, role)))
    want = expected(action, role)
    assert response.status_code == want, f"{action} as {role}: {response.status_code} {response.content[:300]!r}"
    if want >= 400:
        body = response.json()
        assert set(body) == {"detail", "code"}, body  # the contract's error body; `fields` only on 400


def test_the_matrix_covers_every_api_route_of_this_issue() -> None:
    from django.urls import get_resolver

    from helpdesk.accounts import api_urls

    names = {p.name for p in api_urls.urlpatterns}
    exercised = {
        "api-me", "api-auth-token", "api-sign-out-everywhere", "api-register", "api-operators-pending",
        "api-accept-invite", "api-operator-verify", "api-operator-reject", "api-operator-deactivate", "api-forums",
        "api-forum", "api-forum-members", "api-forum-member", "api-forum-member-deactivate", "api-forum-invitations",
        "api-regions", "api-region", "api-categories",
    }
    # revoking one invitation is covered in test_invitations; token creation is the whole of test_auth;
    # erasing one's account (every role may, with the password) in tests/security/test_erasure.py
    assert names - exercised == {"api-forum-invitation-revoke", "api-me-erase"}
    assert get_resolver().resolve("/api/v1/me/").url_name == "api-me"
