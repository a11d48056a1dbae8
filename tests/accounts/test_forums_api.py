"""Forums through the API: admins create and change them; a region node belongs to at most one forum."""

from __future__ import annotations

from typing import Any

from helpdesk.accounts.access import forum_for_region
from helpdesk.accounts.models import Forum, ForumRegion
from tests.factories import region

from .conftest import World


def create(world: World, **body: Any) -> Any:
    return world.client(world.admin).post("/api/v1/forums/", body, format="json")


def test_admin_creates_a_forum_with_regions_and_routing_follows(world: World) -> None:
    region("52.04.02", "Kecamatan Alas")
    response = create(
        world, name="ForSID Sumbawa", region_codes=["52.04"], parent=world.ntb.pk, mode="auto", telegram_chat_id=-1001234
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["region_codes"] == ["52.04"] and body["parent"] == world.ntb.pk and body["mode"] == "auto"
    assert body["slug"] == "forsid-sumbawa" and body["telegram_chat_id"] == -1001234
    assert body["regions"] == [{"code": "52.04", "name": "Kabupaten Sumbawa", "kind": "kabupaten"}]
    forum = forum_for_region("52.04.01.2001")
    assert forum is not None and forum.name == "ForSID Sumbawa"


def test_a_node_already_in_another_forum_is_400(world: World) -> None:
    response = create(world, name="ForSID Lotim Kedua", region_codes=["52.03"])
    assert response.status_code == 400
    assert "ForSID Lombok Timur" in response.json()["fields"]["region_codes"][0]
    assert not Forum.objects.filter(name="ForSID Lotim Kedua").exists()


def test_unknown_regions_names_and_chats_are_400(world: World) -> None:
    assert "region_codes" in create(world, name="A", region_codes=["99.99"]).json()["fields"]
    assert "region_codes" in create(world, name="B", region_codes=["bukan"]).json()["fields"]
    assert "name" in create(world, name="forsid bima").json()["fields"]
    world.bima.telegram_chat_id = -100777
    world.bima.save()
    assert "telegram_chat_id" in create(world, name="C", telegram_chat_id=-100777).json()["fields"]
    assert "mode" in create(world, name="D", mode="acak").json()["fields"]
    assert "parent" in create(world, name="E", parent=99999).json()["fields"]
    assert Forum.objects.count() == 4


def test_a_chat_id_beyond_64_bits_is_400_not_500(world: World) -> None:
    """The column is a signed 64-bit integer; a longer number overflowed in the database (a 500)."""
    for chat in (2**63, -(2**64), 10**30):
        response = create(world, name="F", telegram_chat_id=chat)
        assert response.status_code == 400, response.content
        assert "telegram_chat_id" in response.json()["fields"]
        patched = world.client(world.admin).patch(f"/api/v1/forums/{world.bima.pk}/", {"telegram_chat_id": chat},
                                                  format="json")
        assert patched.status_code == 400 and "telegram_chat_id" in patched.json()["fields"]
    assert Forum.objects.count() == 4
    assert create(world, name="F", telegram_chat_id=-1002003004005).status_code == 201


def test_patch_replaces_coverage_and_refuses_cycles(world: World) -> None:
    client = world.client(world.admin)
    url = f"/api/v1/forums/{world.bima.pk}/"
    response = client.patch(url, {"region_codes": ["52.06"], "mode": "auto"}, format="json")
    assert response.status_code == 200 and response.json()["region_codes"] == ["52.06"]
    assert set(ForumRegion.objects.filter(forum=world.bima).values_list("region_id", flat=True)) == {"52.06"}
    # Kota Bima is free again, so another forum may take it
    assert create(world, name="ForSID Kota Bima", region_codes=["52.72"]).status_code == 201
    cycle = client.patch(f"/api/v1/forums/{world.ntb.pk}/", {"parent": world.lotim.pk}, format="json")
    assert cycle.status_code == 400 and "parent" in cycle.json()["fields"]
    own = client.patch(url, {"parent": world.bima.pk}, format="json")
    assert own.status_code == 400
    taken = client.patch(url, {"region_codes": ["52.06", "52.03"]}, format="json")
    assert taken.status_code == 400
    assert set(ForumRegion.objects.filter(forum=world.bima).values_list("region_id", flat=True)) == {"52.06"}


def test_lists_and_details_are_for_members_and_admins(world: World) -> None:
    assert {f["name"] for f in world.client(world.vol_lotim).get("/api/v1/forums/").json()} == {"ForSID Lombok Timur"}
    assert len(world.client(world.admin).get("/api/v1/forums/").json()) == 4
    assert world.client(world.operator).get("/api/v1/forums/").json() == []
    detail = world.client(world.vol_lotim).get(f"/api/v1/forums/{world.lotim.pk}/")
    assert detail.status_code == 200 and detail.json()["parent_name"] == "ForSID NTB"
    assert world.client(world.vol_lotim).get(f"/api/v1/forums/{world.bima.pk}/").status_code == 403
    assert world.client(world.admin).get("/api/v1/forums/9999/").status_code == 404
    assert world.client(None).get("/api/v1/forums/").status_code == 401


def test_forum_list_has_a_fixed_query_count(world: World, django_assert_max_num_queries: Any) -> None:
    client = world.client(world.admin)
    for n in range(10):
        create(world, name=f"Forum {n}", region_codes=[region(f"53.{n + 10:02d}").code])
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/v1/forums/").json()) == 14
