"""/me/, the profile page, language and time zone, notification preferences."""

from __future__ import annotations

from typing import Any

from django.test import Client

from helpdesk.accounts.models import ForumMembership, User
from helpdesk.accounts.preferences import wants_notification
from tests.factories import member

from .conftest import World


def test_me_lists_roles_that_add_up(world: World) -> None:
    member(world.operator, world.lotim, "volunteer", categories=["keuangan"])
    member(world.operator, world.bima, "coordinator")
    body = world.client(User.objects.get(pk=world.operator.pk)).get("/api/v1/me/").json()
    assert body["roles"] == ["operator", "volunteer", "coordinator"]
    assert body["desa_code"] == "52.03.01.2001" and body["username"] == "op_tanjungluar"
    assert {(f["name"], f["role"]) for f in body["forums"]} == {
        ("ForSID Lombok Timur", "volunteer"),
        ("ForSID Bima", "coordinator"),
    }
    assert body["timezone"] == "Asia/Makassar"
    assert body["notification_prefs"]["ticket_reply"] == {"email": True, "telegram": True, "digest": False}
    assert set(body) >= {"id", "username", "name", "roles", "desa_code", "forums"}


def test_me_for_each_kind_of_person(world: World) -> None:
    def roles(user: User) -> list[str]:
        return list(world.client(user).get("/api/v1/me/").json()["roles"])

    assert roles(world.admin) == ["admin", "planner"]
    assert roles(world.planner) == ["planner"]
    assert roles(world.pending) == ["operator"]
    assert roles(world.coord_lotim) == ["volunteer", "coordinator"]
    assert roles(world.outsider) == []
    assert world.client(None).get("/api/v1/me/").status_code == 401


def test_me_patch_changes_preferences(world: World) -> None:
    client = world.client(world.vol_lotim)
    response = client.patch(
        "/api/v1/me/",
        {
            "language": "en",
            "timezone": "Asia/Jakarta",
            "notification_prefs": {"ticket_new": {"telegram": False, "bogus": True}, "unknown": {"email": True}},
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    user = User.objects.get(pk=world.vol_lotim.pk)
    assert (user.language, user.timezone) == ("en", "Asia/Jakarta")
    assert user.notification_prefs == {"ticket_new": {"telegram": False}}
    assert not wants_notification(user, "ticket_new", "telegram")
    assert wants_notification(user, "ticket_reply", "email")
    assert not wants_notification(user, "no_such_event", "email")
    bad = client.patch("/api/v1/me/", {"language": "fr", "timezone": "Mars/Olympus", "phone": "123"}, format="json")
    assert bad.status_code == 400 and {"language", "timezone", "phone"} <= set(bad.json()["fields"])
    # An address held by another account is not confirmed (docs/accounts.md): the same answer as a free one.
    taken = client.patch("/api/v1/me/", {"email": world.admin.email}, format="json")
    free = client.patch("/api/v1/me/", {"email": "bebas@contoh.desa.id"}, format="json")
    assert taken.status_code == free.status_code == 200 and taken.json() == free.json()


def test_time_zone_defaults_from_the_desa(world: World) -> None:
    from tests.factories import OperatorFactory

    papua = OperatorFactory(username="op_jayapura", desa_code="91.71.01.1001")
    aceh = OperatorFactory(username="op_aceh", desa_code="11.71.01.2001")
    assert world.client(papua).get("/api/v1/me/").json()["timezone"] == "Asia/Jayapura"
    assert world.client(aceh).get("/api/v1/me/").json()["timezone"] == "Asia/Jakarta"


def test_profile_page_saves_and_applies_language_and_time_zone(world: World, client: Client) -> None:
    client.force_login(world.operator)
    page = client.get("/profil/")
    html = page.content.decode()
    assert page.status_code == 200 and "Tanjung Luar" in html and "terverifikasi" in html
    assert "<script>" not in html and "style=" not in html
    form: dict[str, Any] = {
        "name": "Baiq Operator",
        "email": world.operator.email,
        "phone": "0812-3456-7890",
        "language": "en",
        "timezone": "",
        "notif__ticket_reply__email": "on",
    }
    response = client.post("/profil/", form)
    assert response.status_code == 302
    user = User.objects.get(pk=world.operator.pk)
    assert user.name == "Baiq Operator" and user.phone == "+6281234567890" and user.language == "en"
    assert user.notification_prefs["ticket_reply"] == {"email": True, "telegram": False, "digest": False}
    # the stored language is used when no language was picked in the footer
    fresh = Client()
    fresh.force_login(user)
    assert '<html lang="en">' in fresh.get("/profil/").content.decode()
    assert '<html lang="id">' in Client().get("/").content.decode()
    # and the desa's time zone is active for the signed-in person
    assert fresh.get("/profil/").context["effective_timezone"] == "Asia/Makassar"


def test_profile_errors_are_shown(world: World, client: Client) -> None:
    client.force_login(world.operator)
    response = client.post("/profil/", {"email": world.admin.email, "phone": "12", "language": "id"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "sudah terdaftar" not in html and "Nomor HP tidak valid" in html  # addresses are never confirmed


def test_volunteers_set_availability_on_the_profile(world: World, client: Client) -> None:
    client.force_login(world.vol_lotim)
    prefix = f"m{world.lotim.pk}"
    response = client.post(
        f"/profil/forum/{world.lotim.pk}/",
        {f"{prefix}-work_start": "08:00", f"{prefix}-work_end": "15:00", f"{prefix}-max_open_tickets": "4",
         f"{prefix}-categories": ["surat-tte"]},
    )
    assert response.status_code == 302
    m = ForumMembership.objects.get(user=world.vol_lotim)
    assert (m.available, m.max_open_tickets, str(m.work_end)) == (False, 4, "15:00:00")
    assert [c.slug for c in m.categories.all()] == ["surat-tte"]
    bad = client.post(f"/profil/forum/{world.lotim.pk}/", {f"{prefix}-work_start": "08:00", f"{prefix}-max_open_tickets": "4"})
    assert bad.status_code == 400
    assert client.post(f"/profil/forum/{world.bima.pk}/", {}).status_code == 302  # not a member: nothing changes

