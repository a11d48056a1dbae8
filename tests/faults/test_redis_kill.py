"""Redis is killed while operators file tickets and replies and volunteers follow them on websockets (issue 16).

Redis carries only the realtime fan-out between web processes (the channel layer). With it gone, pages and the
API must keep answering (every request acknowledged, none failed), websockets degrade (connections drop, live
events stop) and recover when Redis is back: each client resumes every stream from the event log, so in the end
it has seen every event once, in order, with no gap. Counted: requests by kind and answer, events, reconnects.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import pytest

from tests.cluster.drive import Api, Tally, WsClient
from tests.cluster.procs import port_open, wait_for

from .load import Client, Counts, sign_in, ticket_body
from .stack import FaultStack, record

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

OPERATORS = 4
TICKETS_EACH = 6
OUTAGE_SECONDS = 4.0


async def drive(stack: FaultStack) -> dict[str, Any]:
    counts, tally = Counts(), Tally()
    clients = [Client(stack.base, await sign_in(stack.base, name), counts) for name in stack.world["operators"]]
    volunteer = Api(stack.base, await sign_in(stack.base, stack.world["volunteers"][0]), tally)
    ws = [WsClient(f"ws{n}", volunteer, stack.base.replace("http://", "ws://"), tally) for n in range(2)]
    queue = f"queue:{stack.world['forum']}"
    for client in ws:
        client.last[queue] = 0
    ws_tasks = [asyncio.create_task(c.run()) for c in ws]
    await asyncio.wait_for(asyncio.gather(*(c.connected.wait() for c in ws)), 60)
    acked: list[str] = []
    outage: dict[str, Any] = {}
    down = asyncio.Event()
    during: Counter[str] = Counter()

    async def operator(o: int, client: Client) -> None:
        for t in range(TICKETS_EACH):
            tag = f"rd-o{o}-t{t}"
            ticket = (await client.call("ticket", "POST", "/api/v1/tickets/", key=f"{tag}-file", retry=(),
                                        json_body=ticket_body(tag, t))).json()
            acked.append(tag)
            if down.is_set():
                during["writes"] += 1
            await ws[t % len(ws)].add(f"ticket:{ticket['id']}")
            await client.call("message", "POST", f"/api/v1/tickets/{ticket['id']}/messages/", key=f"{tag}-m1",
                              retry=(), json_body={"body": f"Balasan [{tag}-m1]"})
            await client.call("read", "GET", f"/api/v1/tickets/{ticket['id']}/", retry=())
            page = await client.http.get("/", headers={"Authorization": ""})
            counts.sent["page"] += 1
            counts.statuses[page.status_code] += 1
            if page.status_code == 200:
                counts.acked["page"] += 1
                if down.is_set():
                    during["pages"] += 1
            await client.call("search", "GET", "/api/v1/kb/search/?q=cetak+surat", retry=())

    async def chaos() -> None:
        while len(acked) < len(clients) * TICKETS_EACH // 4:
            await asyncio.sleep(0.05)
        redis = stack.procs["redis"]
        redis.kill()
        down.set()
        started = time.monotonic()
        outage["killed_after_tickets"] = len(acked)
        await asyncio.sleep(OUTAGE_SECONDS)
        redis.start()
        await asyncio.to_thread(wait_for, lambda: port_open(stack.redis_port), 20, "redis again")
        down.clear()
        outage["down_seconds"] = round(time.monotonic() - started, 1)

    chaos_task = asyncio.create_task(chaos())
    try:
        await asyncio.gather(*(operator(o, c) for o, c in enumerate(clients)))
        await asyncio.wait_for(chaos_task, 60)
        heads = await settle(stack, ws, 60)
    finally:
        for client in ws:
            await client.stop()
        for task in ws_tasks:
            task.cancel()
        await asyncio.gather(*ws_tasks, return_exceptions=True)
        await volunteer.close()
        for c in clients:
            await c.close()
    return {"counts": counts, "tally": tally, "ws": ws, "heads": heads, "acked": acked, "outage": outage,
            "during": during}


async def settle(stack: FaultStack, ws: list[WsClient], timeout: float) -> dict[str, int]:
    """Until every client has seen every stream it follows up to the head of the event log."""
    deadline = time.monotonic() + timeout
    while True:
        heads = dict(await asyncio.to_thread(stack.sql, "SELECT stream, seq FROM realtime_streamhead"))
        behind = [(c.name, s) for c in ws for s, seen in c.last.items() if seen < heads.get(s, 0)]
        if not behind or time.monotonic() > deadline:
            return heads
        await asyncio.sleep(0.3)


def test_redis_killed_pages_and_api_keep_working_realtime_recovers(fault_stack: Any) -> None:
    stack: FaultStack = fault_stack()
    stack.up(operators=OPERATORS)
    result = asyncio.run(drive(stack))
    counts: Counts = result["counts"]
    ws: list[WsClient] = result["ws"]
    heads = result["heads"]

    rows = stack.sql("SELECT title FROM tickets_ticket WHERE title LIKE %s", "%[rd-%")
    per_tag = Counter(title.rsplit("[", 1)[1].rstrip("]") for (title,) in rows)
    behind = [(c.name, s, seen, heads.get(s, 0)) for c in ws for s, seen in c.last.items() if seen < heads.get(s, 0)]
    record("redis_kill", {
        **counts.as_dict(), **result["outage"],
        "acknowledged_while_down": dict(result["during"]),
        "tickets_acknowledged": len(result["acked"]), "tickets_in_database": len(rows),
        "tickets_doubled": sum(n - 1 for n in per_tag.values() if n > 1),
        "ws_events": sum(c.events for c in ws), "ws_gaps": sum(c.gaps for c in ws),
        "ws_duplicates": sum(c.duplicates for c in ws), "ws_reconnects": result["tally"].ws_reconnects,
        "ws_streams_behind": len(behind), "ws_streams_followed": sum(len(c.last) for c in ws),
    })
    assert result["during"]["writes"] > 0 and result["during"]["pages"] > 0, "no load while Redis was down"
    assert set(counts.statuses) <= {200, 201}, counts.statuses
    assert not counts.unclean and not counts.given_up
    assert sorted(per_tag) == sorted(result["acked"]) and set(per_tag.values()) == {1}
    assert not behind, behind[:5]
    assert sum(c.gaps for c in ws) == 0 and sum(c.duplicates for c in ws) == 0
    assert not [e for c in ws for e in c.errors]
