"""Single-use connection keys, access that changes while connected, and what survives Redis going away."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk.accounts.models import ForumMembership
from helpdesk.realtime import fanout, log, tasks
from helpdesk.realtime import follower as follower_module
from helpdesk.realtime.auth import issue_key
from helpdesk.realtime.models import ConnectionKey, StreamEvent, StreamHead
from helpdesk.tickets import services
from tests.realtime.conftest import db, next_frame, open_ws, subscribe
from tests.tickets.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)


def _key_for(user: Any) -> str:
    client = APIClient()
    client.force_authenticate(user)
    response = client.post("/api/v1/realtime/ticket/")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["expires_in"] == 60 and body["url"] == f"/ws/?ticket={body['ticket']}"
    return str(body["ticket"])


def test_key_needs_a_signed_in_caller(world: World) -> None:
    response = APIClient().post("/api/v1/realtime/ticket/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.asyncio
async def test_a_key_opens_one_connection_once(world: World, live: None) -> None:
    key = await db(_key_for)(world.op_a)
    stored = await db(lambda: list(ConnectionKey.objects.values_list("digest", flat=True)))()
    assert stored and key not in stored  # only its hash is kept

    comm = await open_ws(path=f"/ws/?ticket={key}")
    await subscribe(comm, f"user:{world.op_a.pk}")
    await comm.disconnect()

    reused = await open_ws(path=f"/ws/?ticket={key}")
    assert (await next_frame(reused))["code"] == "invalid_key"
    assert (await reused.receive_output(timeout=5))["code"] == 4401

    stale, _ttl = await db(issue_key)(world.op_a)
    await db(ConnectionKey.objects.filter(used_at__isnull=True).update)(expires_at=timezone.now() - timedelta(seconds=1))
    expired = await open_ws(path=f"/ws/?ticket={stale}")
    assert (await next_frame(expired))["code"] == "invalid_key"

    made_up = await open_ws(path="/ws/?ticket=tebakan")
    assert (await next_frame(made_up))["code"] == "invalid_key"


@pytest.mark.asyncio
async def test_a_volunteer_removed_from_the_forum_stops_receiving(world: World, live: None, settings: Any) -> None:
    ticket = await db(world.ticket)()
    sari = await open_ws(world.vol2_lotim)
    await subscribe(sari, f"ticket:{ticket.pk}")
    await subscribe(sari, f"queue:{world.lotim.pk}")
    await db(ForumMembership.objects.filter(user=world.vol2_lotim).update)(is_active=False)

    # Internal notes are checked against fresh memberships every time: nothing reaches her from now on.
    await db(services.message_create)(ticket=ticket, author=world.vol_lotim, body="rahasia", internal=True)
    assert await sari.receive_nothing(timeout=0.5)

    # The subscriptions themselves are checked again after REALTIME_RECHECK_SECONDS.
    settings.REALTIME_RECHECK_SECONDS = 0
    await db(services.message_create)(ticket=ticket, author=world.vol_lotim, body="balasan publik")
    errors = {(await next_frame(sari))["stream"] for _ in range(2)}
    assert errors == {f"ticket:{ticket.pk}", f"queue:{world.lotim.pk}"}
    assert await sari.receive_nothing(timeout=0.5)
    await sari.disconnect()


def test_the_follower_waits_for_ids_committed_out_of_order(world: World, settings: Any) -> None:
    loop = asyncio.new_event_loop()
    try:
        follower = follower_module.LogFollower(loop)
        follower.top = log.publish(f"user:{world.op_a.pk}", "notification.created", {"n": -1})["gid"]
        events = [log.publish(f"user:{world.op_a.pk}", "notification.created", {"n": n}) for n in range(3)]
        late = StreamEvent.objects.get(pk=events[1]["gid"])
        StreamEvent.objects.filter(pk=late.pk).delete()  # as if its transaction had not committed yet
        got, full = follower.fetch()
        assert [e["data"]["n"] for e in got] == [0, 2] and not full
        assert list(follower.holes) == [events[1]["gid"]]
        late.save(force_insert=True)  # it commits
        assert [e["data"]["n"] for e in follower.fetch()[0]] == [1]
        assert follower.holes == {}

        settings.REALTIME_HOLE_SECONDS = 0
        more = [log.publish(f"user:{world.op_a.pk}", "notification.created", {"n": n}) for n in range(2)]
        StreamEvent.objects.filter(pk=more[0]["gid"]).delete()  # rolled back for good
        assert [e["data"]["n"] for e in follower.fetch()[0]] == [1]
        assert follower.fetch()[0] == [] and follower.holes == {}  # given up on the next look
    finally:
        loop.close()


def test_purge_keeps_an_hour_and_forgets_spent_keys(world: World, settings: Any) -> None:
    stream = f"user:{world.op_a.pk}"
    old = log.publish(stream, "notification.created", {"n": 1})
    log.publish(stream, "notification.created", {"n": 2})
    StreamEvent.objects.filter(pk=old["gid"]).update(at=timezone.now() - timedelta(hours=2))
    issue_key(world.op_a)
    ConnectionKey.objects.update(expires_at=timezone.now() - timedelta(hours=1))
    tasks.purge()
    assert list(StreamEvent.objects.filter(stream=stream).values_list("seq", flat=True)) == [2]
    assert not ConnectionKey.objects.exists()
    assert StreamHead.objects.get(stream=stream).seq == 2  # numbering goes on where it was
    assert log.replay(stream, 0).reload and log.replay(stream, 1).events[0]["seq"] == 2


def test_with_redis_down_pages_and_the_api_keep_working(world: World, settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                           "CONFIG": {"hosts": [settings.REDIS_URL]}}}
    settings.REALTIME_PUBLISH_TIMEOUT_SECONDS = 0.5
    ticket = world.ticket()
    api = APIClient()
    api.force_authenticate(world.vol_lotim)
    response = api.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Redis mati, balasan tetap masuk."}, format="json")
    assert response.status_code == 201, response.content
    # The event is in the log, ready for clients that resume.
    assert StreamEvent.objects.filter(stream=f"ticket:{ticket.pk}", type="message.created").exists()

    page = Client()
    page.force_login(world.op_a)
    assert "Redis mati" in page.get(ticket.get_absolute_url()).content.decode()
    health = page.get("/readyz").json()
    assert health["checks"]["channel_layer"]["status"] == "down" and health["status"] != "ok"
    # The fan-out gave up without raising; let it finish before the settings change back under it.
    publisher = fanout.publisher()
    assert publisher.flush(timeout=10) and publisher.failures >= 1
