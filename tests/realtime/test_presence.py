"""Presence: "Budi sedang melihat / membalas" on the ticket and in the queue, gone within seconds."""

from __future__ import annotations

from typing import Any

import pytest

from tests.realtime.conftest import db, next_frame, open_ws, subscribe
from tests.tickets.conftest import World

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def presence(comm: Any, timeout: float = 5.0) -> dict[str, Any]:
    frame = await next_frame(comm, "presence.changed", timeout=timeout)
    return frame


async def test_viewing_typing_and_leaving_reach_the_others(world: World, live: None) -> None:
    ticket = await db(world.ticket)()
    stream = f"ticket:{ticket.pk}"
    budi, sari, queue = await open_ws(world.vol_lotim), await open_ws(world.vol2_lotim), await open_ws(world.coord_lotim)
    await subscribe(budi, stream)
    await subscribe(sari, stream)
    await subscribe(queue, f"queue:{world.lotim.pk}")

    await budi.send_json_to({"action": "presence", "stream": stream, "state": "viewing"})
    seen = await presence(sari)
    assert seen["stream"] == stream and seen["id"].startswith("0.")
    assert seen["data"]["name"] == "Budi Relawan" and seen["data"]["state"] == "viewing"
    assert seen["data"]["user"] == world.vol_lotim.pk and seen["data"]["ticket"] == ticket.pk
    in_queue = await presence(queue)
    assert in_queue["stream"] == f"queue:{world.lotim.pk}"
    assert in_queue["data"]["number"] == ticket.number and in_queue["data"]["state"] == "viewing"

    # Sari starts to reply while Budi is typing: she sees it before she sends.
    await budi.send_json_to({"action": "presence", "stream": stream, "state": "typing"})
    assert (await presence(sari))["data"]["state"] == "typing"
    # The sender never hears its own presence.
    assert await budi.receive_nothing(timeout=0.3)

    await budi.send_json_to({"action": "presence", "stream": stream, "state": "left"})
    assert (await presence(sari))["data"]["state"] == "left"
    assert [(await presence(queue))["data"]["state"] for _ in range(2)] == ["typing", "left"]

    # A dropped connection says goodbye for its person.
    await budi.send_json_to({"action": "presence", "stream": stream, "state": "viewing"})
    assert (await presence(sari))["data"]["state"] == "viewing"
    await budi.disconnect()
    assert (await presence(sari))["data"]["state"] == "left"
    await sari.disconnect()
    await queue.disconnect()


async def test_presence_expires_when_the_client_stops_refreshing(world: World, live: None, settings: Any) -> None:
    settings.REALTIME_PRESENCE_TTL_SECONDS = 0.5
    ticket = await db(world.ticket)()
    stream = f"ticket:{ticket.pk}"
    budi, sari = await open_ws(world.vol_lotim), await open_ws(world.vol2_lotim)
    await subscribe(budi, stream)
    await subscribe(sari, stream)
    await budi.send_json_to({"action": "presence", "stream": stream, "state": "typing"})
    got = await presence(sari)
    assert got["data"]["state"] == "typing" and got["data"]["ttl"] == 0.5
    # Budi's socket stays open but his client went quiet (a frozen tab, a dead network): gone after the TTL.
    assert (await presence(sari, timeout=5))["data"]["state"] == "left"
    await budi.disconnect()
    await sari.disconnect()


async def test_a_newcomer_learns_who_is_already_there(world: World, live: None) -> None:
    ticket = await db(world.ticket)()
    stream = f"ticket:{ticket.pk}"
    budi = await open_ws(world.vol_lotim)
    await subscribe(budi, stream)
    await budi.send_json_to({"action": "presence", "stream": stream, "state": "typing"})
    operator = await open_ws(world.op_a)
    await subscribe(operator, stream)
    got = await presence(operator)
    assert (got["data"]["name"], got["data"]["state"]) == ("Budi Relawan", "typing")
    await budi.disconnect()
    await operator.disconnect()


async def test_presence_needs_a_subscription_on_a_stream_that_has_it(world: World, live: None) -> None:
    ticket = await db(world.ticket)()
    budi = await open_ws(world.vol_lotim)
    await budi.send_json_to({"action": "presence", "stream": f"ticket:{ticket.pk}", "state": "viewing"})
    assert (await next_frame(budi))["code"] == "not_subscribed"
    await subscribe(budi, f"queue:{world.lotim.pk}")
    await budi.send_json_to({"action": "presence", "stream": f"queue:{world.lotim.pk}", "state": "viewing"})
    assert (await next_frame(budi))["code"] == "presence_unsupported"
    await subscribe(budi, f"ticket:{ticket.pk}")
    await budi.send_json_to({"action": "presence", "stream": f"ticket:{ticket.pk}", "state": "dancing"})
    assert (await next_frame(budi))["code"] == "bad_frame"
    await budi.disconnect()
