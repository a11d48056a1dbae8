"""The demo data gives each role a login, builds the NTB forums, and can be loaded twice."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from rest_framework.test import APIClient

from helpdesk.accounts.access import forum_for_region, roles_of
from helpdesk.accounts.models import Forum, ForumMembership, User
from helpdesk.demo.seed import DEMO_PASSWORD, seed


def test_seed_is_idempotent_and_every_login_works(db: Any) -> None:
    first = seed()
    counts = (User.objects.count(), Forum.objects.count(), ForumMembership.objects.count())
    second = seed()
    assert first == second
    assert (User.objects.count(), Forum.objects.count(), ForumMembership.objects.count()) == counts
    roles = {}
    for login in first:
        user = authenticate(username=login.username, password=DEMO_PASSWORD)
        assert isinstance(user, User), login.username
        roles[login.username] = roles_of(user)
        assert login.role in roles[login.username]
    assert roles["operator.tanjungluar"] == ["operator"]
    assert User.objects.get(username="operator.pijot").operator_status == "pending"
    assert roles["koordinator.lotim"] == ["volunteer", "coordinator"]
    assert roles["admin"] == ["admin", "planner"]
    skills = ForumMembership.objects.get(user__username="relawan.lotim").categories.values_list("slug", flat=True)
    assert set(skills) == {"kependudukan", "surat-tte", "database-backup"}


def test_demo_forums_route_the_ntb_villages(db: Any) -> None:
    seed()

    def forum(code: str) -> str:
        found = forum_for_region(code)
        return found.name if found else ""

    assert forum("52.03.01.2001") == "ForSID Lombok Timur"
    assert forum("52.06.01.2001") == "ForSID Bima"  # Kabupaten Bima
    assert forum("52.72.01.1001") == "ForSID Bima"  # Kota Bima
    assert forum("52.04.01.2001") == "ForSID Sumbawa"
    assert forum("52.01.01.2001") == "ForSID NTB"  # Lombok Barat has no forum of its own yet
    assert forum("51.71.01.1001") == "Tim Inti OpenDesa"
    assert Forum.objects.get(name="ForSID Sumbawa").parent.name == "ForSID NTB"  # type: ignore[union-attr]


def test_the_demo_coordinator_sees_the_demo_pending_operator(db: Any) -> None:
    seed()
    token = APIClient().post("/api/v1/auth/token/", {"username": "koordinator.lotim", "password": DEMO_PASSWORD}).json()
    rows = APIClient(HTTP_AUTHORIZATION=f"Token {token['token']}").get("/api/v1/accounts/pending/").json()
    assert [r["username"] for r in rows] == ["operator.pijot"]
    assert rows[0]["desa_name"] == "Pijot" and rows[0]["kabupaten"] == "Kabupaten Lombok Timur"
