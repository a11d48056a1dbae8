"""The websocket protocol through the front door (the project's ASGI application): who may subscribe to what,
every event type, the internal-note filter, replay after a reconnect, and the errors for bad input."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk import realtime
from helpdesk.realtime import hub, streams
from helpdesk.realtime.models import StreamEvent
from helpdesk.tickets import services
from helpdesk.tickets.models import Status
from tests.realtime.conftest import db, next_frame, open_ws, refused, subscribe
from tests.tickets.conftest import World

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_anonymous_connection_is_told_and_closed(world: World, live: None) -> None:
    comm = await open_ws()
    error = await next_frame(comm)
    assert error == {"type": "error", "stream": None, "code": "not_authenticated", "detail": error["detail"]}
    assert (await comm.receive_output(timeout=5))["code"] == 4401


async def test_subscriptions_are_checked_with_the_access_rules(world: World, live: None) -> None:
    ticket = await db(world.ticket)()
    other_desa = await db(world.ticket)(reporter=world.op_b)

    operator = await open_ws(world.op_a)
    answer = await subscribe(operator, f"ticket:{ticket.pk}")
    assert answer["last_event_id"] == "0"
    await subscribe(operator, f"user:{world.op_a.pk}")
    # Another desa's ticket and a ticket that doesn't exist get the same answer: nothing leaks.
    forbidden = await refused(operator, f"ticket:{other_desa.pk}")
    missing = await refused(operator, "ticket:999999")
    assert forbidden["code"] == missing["code"] == "forbidden"
    assert (await refused(operator, f"user:{world.op_b.pk}"))["code"] == "forbidden"
    assert (await refused(operator, f"queue:{world.lotim.pk}"))["code"] == "forbidden"
    assert (await refused(operator, "forum:1"))["code"] == "unknown_stream"
    assert (await refused(operator, "ticket:abc"))["code"] == "bad_stream"
    assert (await refused(operator, "ticket:0"))["code"] == "bad_stream"

    volunteer = await open_ws(world.vol_lotim)
    await subscribe(volunteer, f"ticket:{ticket.pk}")
    await subscribe(volunteer, f"queue:{world.lotim.pk}")
    assert (await refused(volunteer, f"queue:{world.bima.pk}"))["code"] == "forbidden"

    bima = await open_ws(world.vol_bima)
    assert (await refused(bima, f"ticket:{ticket.pk}"))["code"] == "forbidden"

    admin = await open_ws(world.admin)
    await subscribe(admin, f"ticket:{other_desa.pk}")
    await subscribe(admin, f"queue:{world.bima.pk}")
    for comm in (operator, volunteer, bima, admin):
        await comm.disconnect()


async def test_message_created_reaches_viewers_and_internal_notes_only_volunteers(world: World, live: None) -> None:
    ticket = await db(world.ticket)()
    stream = f"ticket:{ticket.pk}"
    operator, volunteer, colleague = [await open_ws(u) for u in (world.op_a, world.vol_lotim, world.vol2_lotim)]
    for comm in (operator, volunteer, colleague):
        await subscribe(comm, stream)

    await db(services.message_create)(ticket=ticket, author=world.vol_lotim, body="Catatan: cek log server", internal=True)
    reply = await db(services.message_create)(ticket=ticket, author=world.vol_lotim, body="Coba impor ulang berkasnya.")

    for comm in (volunteer, colleague):
        note = await next_frame(comm, "message.created")
        assert note["data"]["internal"] is True and note["data"]["body"] == "Catatan: cek log server"
        assert note["stream"] == stream and note["id"] == "1" and note["at"].endswith("Z")
    seen: list[dict[str, Any]] = []
    while True:
        frame = await next_frame(operator)
        seen.append(frame)
        if frame["type"] == "message.created":
            break
    # The operator's first event is the public reply: the internal note never reached them.
    assert [f["type"] for f in seen] == ["message.created"]
    got = seen[0]
    assert got["data"]["body"] == "Coba impor ulang berkasnya." and got["data"]["message"] == reply.pk
    assert got["data"]["author"] == {"id": world.vol_lotim.pk, "name": "Budi Relawan"}
    assert got["data"]["internal"] is False and int(got["id"]) > 1
    # Replying claimed the ticket: its state changed in the same transaction.
    updated = await next_frame(operator, "ticket.updated")
    assert updated["data"]["status"] == Status.MENUNGGU
    assert updated["data"]["assignee"]["id"] == world.vol_lotim.pk
    assert set(updated["data"]["changes"]) >= {"status", "assignee"}
    assert "first_response_due" in updated["data"]["sla"]
    for comm in (operator, volunteer, colleague):
        await comm.disconnect()


async def test_queue_events_follow_a_ticket_through_its_life(world: World, live: None) -> None:
    colleague = await open_ws(world.vol2_lotim)
    queue = f"queue:{world.lotim.pk}"
    await subscribe(colleague, queue)

    ticket = await db(world.ticket)()
    added = await next_frame(colleague, "queue.ticket_added")
    assert added["stream"] == queue
    assert added["data"]["number"] == ticket.number and added["data"]["assignee"] is None

    await db(services.ticket_claim)(ticket=ticket, actor=world.vol_lotim)
    claimed = await next_frame(colleague, "queue.ticket_claimed")
    assert claimed["data"]["assignee"]["name"] == "Budi Relawan" and claimed["data"]["status"] == Status.DITANGANI

    await db(services.ticket_update)(ticket=ticket, actor=world.vol_lotim, priority="tinggi")
    updated = await next_frame(colleague, "ticket.updated")
    assert updated["data"]["changes"]["priority"] == {"old": "normal", "new": "tinggi"}

    await db(services.ticket_resolve)(ticket=ticket, actor=world.vol_lotim)
    removed = await next_frame(colleague, "queue.ticket_removed")
    assert removed["data"]["ticket"] == ticket.pk and removed["data"]["status"] == Status.SELESAI
    ids = [int(f["id"]) for f in (added, claimed, updated, removed)]
    assert ids == sorted(ids) and len(set(ids)) == 4
    await colleague.disconnect()


async def test_notification_created_reaches_only_its_person(world: World, live: None) -> None:
    budi, sari = await open_ws(world.vol_lotim), await open_ws(world.vol2_lotim)
    await subscribe(budi, streams.user_stream(world.vol_lotim.pk))
    await subscribe(sari, streams.user_stream(world.vol2_lotim.pk))

    await db(realtime.publish)(
        streams.user_stream(world.vol_lotim.pk), "notification.created", {"id": 7, "text": "Tiket baru", "unread": 3}
    )
    got = await next_frame(budi, "notification.created")
    assert got["data"] == {"id": 7, "text": "Tiket baru", "unread": 3}
    assert await sari.receive_nothing(timeout=0.3)
    await budi.disconnect()
    await sari.disconnect()


async def test_reconnect_replays_what_was_missed_in_order_without_duplicates(world: World, live: None) -> None:
    ticket = await db(world.ticket)()
    stream = f"ticket:{ticket.pk}"
    operator = await open_ws(world.op_a)
    await subscribe(operator, stream)
    for n in range(3):
        await db(services.message_create)(ticket=ticket, author=world.op_a, body=f"pesan {n}")
    last = None
    for n in range(3):
        last = await next_frame(operator, "message.created")
        assert last["data"]["body"] == f"pesan {n}"
    await operator.disconnect()

    for n in range(3, 6):
        await db(services.message_create)(ticket=ticket, author=world.op_a, body=f"pesan {n}")

    assert last is not None
    again = await open_ws(world.op_a)
    await subscribe(again, stream, last_event_id=last["id"])
    replayed = [await next_frame(again) for _ in range(3)]
    assert [f["data"]["body"] for f in replayed] == ["pesan 3", "pesan 4", "pesan 5"]
    assert [int(f["id"]) for f in replayed] == list(range(int(last["id"]) + 1, int(last["id"]) + 4))
    # Then live again, with nothing repeated.
    await db(services.message_create)(ticket=ticket, author=world.op_a, body="pesan 6")
    live_frame = await next_frame(again)
    assert live_frame["data"]["body"] == "pesan 6" and int(live_frame["id"]) == int(replayed[-1]["id"]) + 1
    assert await again.receive_nothing(timeout=0.5)
    await again.disconnect()


async def test_too_much_missed_or_purged_means_reload(world: World, live: None, settings: Any) -> None:
    settings.REALTIME_REPLAY_MAX = 3
    ticket = await db(world.ticket)()
    stream = f"ticket:{ticket.pk}"
    for n in range(5):
        await db(services.message_create)(ticket=ticket, author=world.op_a, body=f"pesan {n}")
    comm = await open_ws(world.op_a)
    await subscribe(comm, stream, last_event_id="0")
    assert await next_frame(comm) == {"type": "reload", "stream": stream}

    # Within the limit, but the oldest of them was purged: the replay can't be complete, so reload.
    settings.REALTIME_REPLAY_MAX = 500
    await db(StreamEvent.objects.filter(stream=stream, seq__lte=2).delete)()
    other = await open_ws(world.op_a)
    await subscribe(other, stream, last_event_id="1")
    assert await next_frame(other) == {"type": "reload", "stream": stream}
    head = await db(lambda: StreamEvent.objects.filter(stream=stream).order_by("-seq").values_list("seq", flat=True)[0])()
    complete = await open_ws(world.op_a)
    await subscribe(complete, stream, last_event_id="2")
    assert [(await next_frame(complete))["id"] for _ in range(head - 2)] == [str(n) for n in range(3, head + 1)]
    # An id beyond the head (a reset database) can't be trusted either.
    third = await open_ws(world.op_a)
    await subscribe(third, stream, last_event_id=str(head + 10))
    assert await next_frame(third) == {"type": "reload", "stream": stream}
    for c in (comm, other, complete, third):
        await c.disconnect()


async def test_a_gap_seen_live_is_filled_from_the_log(world: World, live: None) -> None:
    """An event that overtook an earlier one (two processes, a dropped Redis message) is not delivered before it."""
    comm = await open_ws(world.op_a)
    stream = streams.user_stream(world.op_a.pk)
    await subscribe(comm, stream)
    first = await db(realtime.publish)(stream, "notification.created", {"n": 1})
    second = await db(realtime.publish)(stream, "notification.created", {"n": 2})
    # Deliver the second one by hand before the follower gets to them.
    (await hub.get()).dispatch({"type": "realtime.event", "event": second})
    got = [await next_frame(comm), await next_frame(comm)]
    assert [f["data"]["n"] for f in got] == [1, 2]
    assert [f["id"] for f in got] == [str(first["seq"]), str(second["seq"])]
    assert await comm.receive_nothing(timeout=0.5)
    await comm.disconnect()


async def test_bad_frames_get_errors_and_other_clients_are_unaffected(world: World, live: None, settings: Any) -> None:
    settings.REALTIME_RATE_BURST = 4
    settings.REALTIME_RATE_PER_SECOND = 0.001
    settings.REALTIME_RATE_DROPS_BEFORE_CLOSE = 10
    bystander = await open_ws(world.op_b)
    await subscribe(bystander, streams.user_stream(world.op_b.pk))

    comm = await open_ws(world.op_a)
    await comm.send_to(text_data="{not json")
    assert (await next_frame(comm))["code"] == "bad_frame"
    await comm.send_json_to({"action": "dance"})
    assert (await next_frame(comm))["code"] == "bad_action"
    await comm.send_json_to(["subscribe"])
    assert (await next_frame(comm))["code"] == "bad_frame"
    await comm.send_json_to({"action": "subscribe", "stream": "user:1", "last_event_id": "x"})
    assert (await next_frame(comm))["code"] == "bad_last_event_id"
    # The burst is spent: the next frames are dropped with one error, then a flood closes the connection.
    await comm.send_json_to({"action": "ping"})
    assert (await next_frame(comm))["code"] == "rate_limited"
    for _ in range(12):
        await comm.send_json_to({"action": "ping"})
    assert (await comm.receive_output(timeout=5))["code"] == 4429

    big = await open_ws(world.op_a)
    await big.send_to(text_data='{"action": "ping", "pad": "' + "x" * 5000 + '"}')
    assert (await next_frame(big))["code"] == "frame_too_large"
    assert (await big.receive_output(timeout=5))["code"] == 4009  # 1009 is not allowed to applications by daphne

    await db(realtime.publish)(streams.user_stream(world.op_b.pk), "notification.created", {"text": "masih hidup"})
    assert (await next_frame(bystander, "notification.created"))["data"]["text"] == "masih hidup"
    await bystander.disconnect()


async def test_ping(world: World, live: None) -> None:
    comm = await open_ws(world.op_a)
    await comm.send_json_to({"action": "ping"})
    assert await next_frame(comm) == {"type": "pong"}
    await comm.send_json_to({"action": "unsubscribe", "stream": "ticket:1"})
    assert await next_frame(comm) == {"type": "unsubscribed", "stream": "ticket:1"}
    await comm.disconnect()


async def test_a_page_of_another_site_cannot_open_the_socket(world: World, live: None) -> None:
    from channels.testing import WebsocketCommunicator

    from helpdesk.asgi import application
    from tests.realtime.conftest import session_cookie

    cookie = (await db(session_cookie)(world.op_a)).encode()
    evil = WebsocketCommunicator(application, "/ws/", headers=[(b"origin", b"https://jahat.example"), (b"cookie", cookie)])
    connected, code = await evil.connect(timeout=5)
    assert not connected and code == 4403
    ours = WebsocketCommunicator(application, "/ws/", headers=[(b"origin", b"http://127.0.0.1:8000"), (b"cookie", cookie)])
    connected, _ = await ours.connect(timeout=5)
    assert connected
    await subscribe(ours, streams.user_stream(world.op_a.pk))
    await ours.disconnect()


async def test_a_client_that_falls_behind_is_told_to_resume(world: World, live: None, monkeypatch: Any) -> None:
    """The server's unsent bytes for this client pass the limit: it is dropped with 4008 (see also
    test_processes for a real client that stops reading)."""
    comm = await open_ws(world.op_a)
    stream = streams.user_stream(world.op_a.pk)
    await subscribe(comm, stream)
    monkeypatch.setattr("helpdesk.realtime.consumers.transport_backlog", lambda send: 10**9)
    await db(realtime.publish)(stream, "notification.created", {"n": 1})
    told = await next_frame(comm)
    assert (told["type"], told["code"]) == ("error", "too_slow")
    assert (await comm.receive_output(timeout=5))["code"] == 4008


async def test_a_full_inbox_catches_up_from_the_log(world: World, live: None, settings: Any) -> None:
    """A connection that can't keep up loses messages from its own small inbox, not the server's memory,
    then reads what it lacks from the log: the client still gets every event once, in order."""
    settings.REALTIME_INBOX_SIZE = 2
    comm = await open_ws(world.op_a)
    stream = streams.user_stream(world.op_a.pk)
    await subscribe(comm, stream)
    published = [await db(realtime.publish)(stream, "notification.created", {"n": n}) for n in range(10)]
    switchboard = await hub.get()
    for event in published:  # all at once, as a burst would come
        switchboard.dispatch({"type": "realtime.event", "event": event})
    got = [await next_frame(comm) for _ in range(10)]
    assert [f["data"]["n"] for f in got] == list(range(10))
    assert await comm.receive_nothing(timeout=0.5)
    await comm.disconnect()


async def test_escalation_moves_the_ticket_between_queues(world: World, live: None) -> None:
    from django.db import transaction

    from helpdesk.tickets import escalation

    lotim, ntb = await open_ws(world.vol2_lotim), await open_ws(world.admin)
    await subscribe(lotim, f"queue:{world.lotim.pk}")
    await subscribe(ntb, f"queue:{world.ntb.pk}")
    ticket = await db(world.ticket)()
    assert (await next_frame(lotim, "queue.ticket_added"))["data"]["ticket"] == ticket.pk
    operator = await open_ws(world.op_a)
    await subscribe(operator, f"ticket:{ticket.pk}")

    def escalate() -> None:
        with transaction.atomic():
            escalation.escalate(ticket, escalation.FIRST)

    await db(escalate)()
    removed = await next_frame(lotim, "queue.ticket_removed")
    added = await next_frame(ntb, "queue.ticket_added")
    assert removed["data"]["ticket"] == added["data"]["ticket"] == ticket.pk
    assert added["data"]["forum"] == world.ntb.pk
    # The operator still may see it: checked again at once (the forum changed), and delivered.
    moved = await next_frame(operator, "ticket.updated")
    assert moved["data"]["changes"]["forum"] == {"old": world.lotim.pk, "new": world.ntb.pk}
    for comm in (lotim, ntb, operator):
        await comm.disconnect()


async def test_a_page_left_while_it_was_answered_is_not_an_error() -> None:
    # Under daphne, a send after the browser went away raises autobahn's Disconnected; it ended the consumer
    # with "ERROR daphne.server ... Attempt to send on a closed protocol" and a traceback in the log.
    from autobahn.exception import Disconnected

    from helpdesk.realtime.consumers import RealtimeConsumer

    consumer = RealtimeConsumer()
    consumer.scope = {"type": "websocket"}
    sent: list[dict[str, Any]] = []

    async def gone(message: dict[str, Any]) -> None:
        sent.append(message)
        raise Disconnected("Attempt to send on a closed protocol")

    consumer.base_send = gone
    await consumer._emit({"type": "subscribed", "stream": "queue:1", "last_event_id": "0"})
    assert consumer.closing and len(sent) == 1
    await consumer._emit({"type": "error", "stream": None})  # nothing more is sent to a closed socket
    assert len(sent) == 1
