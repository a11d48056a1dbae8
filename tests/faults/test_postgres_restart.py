"""PostgreSQL restarts while operators file tickets and replies through a live web process (issue 16, faults).

The private cluster is stopped (`pg_ctl stop -m fast`: every connection cut, transactions in flight rolled back)
once a quarter of the tickets are in, kept down for a few seconds, and started again. While it is down every
request must fail cleanly (503 with the contract's error body, or a refused connection), and each client retries
its write with the same Idempotency-Key until it is acknowledged. Afterwards every acknowledged ticket and reply
is in the database exactly once, no ticket lacks its audit trail (nothing half-written), and every outbox job ran.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import pytest

from .load import Client, Counts, sign_in, ticket_body
from .stack import FaultStack, record

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

OPERATORS = 6
TICKETS_EACH = 6
OUTAGE_SECONDS = 3.0


async def drive(stack: FaultStack) -> dict[str, Any]:
    counts = Counts()
    clients = [Client(stack.base, await sign_in(stack.base, name), counts) for name in stack.world["operators"]]
    acked: list[str] = []
    outage: dict[str, float] = {}
    total = len(clients) * TICKETS_EACH

    async def operator(o: int, client: Client) -> None:
        for t in range(TICKETS_EACH):
            tag = f"pg-o{o}-t{t}"
            ticket = (await client.call("ticket", "POST", "/api/v1/tickets/", key=f"{tag}-file",
                                        json_body=ticket_body(tag, t))).json()
            acked.append(tag)
            for m in (1, 2):
                await client.call("message", "POST", f"/api/v1/tickets/{ticket['id']}/messages/",
                                  key=f"{tag}-m{m}", json_body={"body": f"Balasan ke-{m} [{tag}-m{m}]"})

    async def chaos() -> None:
        while len(acked) < total // 4:
            await asyncio.sleep(0.05)
        started = time.monotonic()
        await asyncio.to_thread(stack.pg.stop)
        outage["stopped_after_tickets"] = len(acked)
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(stack.pg.start)
        outage["down_seconds"] = round(time.monotonic() - started, 1)

    chaos_task = asyncio.create_task(chaos())
    try:
        await asyncio.gather(*(operator(o, c) for o, c in enumerate(clients)))
        await asyncio.wait_for(chaos_task, 60)
        # After the restart the web process answers from a fresh connection, with no help.
        recovered = await clients[0].call("read", "GET", "/api/v1/tickets/", patience=10)
        assert recovered.status_code == 200
    finally:
        for c in clients:
            await c.close()
    return {"counts": counts, "acked": acked, "outage": outage}


def test_postgresql_restart_mid_load_loses_and_doubles_nothing(fault_stack: Any) -> None:
    stack: FaultStack = fault_stack()
    stack.up(operators=OPERATORS)
    result = asyncio.run(drive(stack))
    counts: Counts = result["counts"]

    rows = stack.sql("SELECT id, title FROM tickets_ticket WHERE title LIKE %s", "%[pg-%")
    per_tag = Counter(title.rsplit("[", 1)[1].rstrip("]") for _, title in rows)
    ids = [pk for pk, _ in rows]
    events = stack.sql("SELECT ticket_id, action, count(*) FROM tickets_ticketevent WHERE ticket_id = ANY(%s) "
                       "GROUP BY ticket_id, action", ids)
    per_ticket = {(pk, action): n for pk, action, n in events}
    half_written = [pk for pk in ids if per_ticket.get((pk, "created")) != 1 or per_ticket.get((pk, "routed")) != 1]
    bodies = stack.sql("SELECT body FROM tickets_message WHERE ticket_id = ANY(%s)", ids)
    markers = Counter(body.rsplit("[", 1)[1].rstrip("]") for (body,) in bodies if "[pg-" in body)
    expected_messages = [f"{tag}-m{m}" for tag in result["acked"] for m in (1, 2)]

    stack.wait_outbox_drained(90)
    jobs = dict(stack.sql("SELECT status, count(*) FROM core_outboxjob GROUP BY status"))
    worker_restarts = stack.procs["worker1"].starts - 1

    record("postgres_restart", {
        **counts.as_dict(), **result["outage"],
        "tickets_acknowledged": len(result["acked"]), "tickets_in_database": len(rows),
        "tickets_doubled": sum(n - 1 for n in per_tag.values() if n > 1),
        "tickets_half_written": len(half_written),
        "messages_acknowledged": counts.acked["message"], "messages_in_database": sum(markers.values()),
        "messages_doubled": sum(n - 1 for n in markers.values() if n > 1),
        "outbox_jobs": {str(k): v for k, v in jobs.items()}, "worker_restarts": worker_restarts,
    })
    assert result["outage"]["stopped_after_tickets"] < OPERATORS * TICKETS_EACH  # the outage hit the load
    assert counts.statuses[503] + counts.transport_errors > 0, "the outage was not seen by any client"
    assert not counts.unclean, counts.unclean[:5]
    assert sorted(per_tag) == sorted(result["acked"]) and set(per_tag.values()) == {1}
    assert not half_written
    assert sorted(markers) == sorted(expected_messages) and set(markers.values()) == {1}
    assert set(jobs) <= {"done"}, jobs
