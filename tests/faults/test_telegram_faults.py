"""The Bot API fails under load (issue 16, faults): the fake Telegram answers 5xx (JSON and a proxy's HTML page),
429 with `retry_after` (its flood limits, tighter than the bridge's pace) and answers too late for the client's
read time-out, while operators file tickets and replies that the bridge posts to the forum's group.

When it heals, every post and every relayed reply is in the group exactly once: failed sends were retried by the
outbox, a 429 waited `retry_after`, and a send that timed out after it left (Telegram got it) was flagged
uncertain and not sent again. No outbox job is left undone or parked, and no message failed.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from typing import Any

import pytest

from tests.cluster.procs import wait_for

from .load import Client, Counts, sign_in, ticket_body
from .stack import FaultStack, record

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

OPERATORS = 3
TICKETS_EACH = 2
SLOW_SECONDS = 3.5  # the bridge's read time-out is 2 s here (tests/faults/settings.py)


async def drive(stack: FaultStack) -> dict[str, Any]:
    counts = Counts()
    clients = [Client(stack.base, await sign_in(stack.base, name), counts) for name in stack.world["operators"]]
    tags: list[str] = []

    async def operator(o: int, client: Client) -> None:
        for t in range(TICKETS_EACH):
            tag = f"tg-o{o}-t{t}"
            ticket = (await client.call("ticket", "POST", "/api/v1/tickets/", key=f"{tag}-file",
                                        json_body={**ticket_body(tag, t), "visibility": "public"})).json()
            tags.append(tag)
            for m in (1, 2):
                await client.call("message", "POST", f"/api/v1/tickets/{ticket['id']}/messages/",
                                  key=f"{tag}-m{m}", json_body={"body": f"Sudah dicoba ulang ke-{m}. [{tag}-m{m}]"})

    try:
        await asyncio.gather(*(operator(o, c) for o, c in enumerate(clients)))
    finally:
        for c in clients:
            await c.close()
    return {"counts": counts, "tags": tags}


def group_counts(stack: FaultStack) -> tuple[Counter[str], Counter[str]]:
    posts: Counter[str] = Counter()
    replies: Counter[str] = Counter()
    for message in stack.fake.bot_messages(chat_id=stack.group):
        text = message.get("text") or message.get("caption") or ""
        for marker in re.findall(r"\[(tg-o\d+-t\d+-m\d)\]", text):
            replies[marker] += 1
        if "reply_to_message" not in message:
            for tag in re.findall(r"\[(tg-o\d+-t\d+)\]", text):
                posts[tag] += 1
    return posts, replies


def test_bot_api_failures_deliver_every_message_once_when_it_heals(fault_stack: Any) -> None:
    stack: FaultStack = fault_stack(telegram=True)
    stack.up(operators=OPERATORS)
    fake = stack.fake
    fake.fail_next(method="sendMessage", status=502, description="Bad Gateway", times=3)
    fake.fail_next(method="sendMessage", status=502, times=1, raw_body="<html><body>502 Bad Gateway</body></html>")
    fake.fail_next(method="sendMessage", status=500, times=2)
    fake.slow_down(method="sendMessage", seconds=SLOW_SECONDS, times=2)
    fake.set_limits(per_chat=(1, 2.0), per_group=None, overall=None)
    started = time.monotonic()
    result = asyncio.run(drive(stack))
    tags: list[str] = result["tags"]
    wait_for(lambda: fake.count(method="sendmessage", status=429) >= 1, 90, "a 429 from the fake")
    fake.set_limits(enabled=False)  # heals: the injected 5xx and slow answers were used up by now

    expected_replies = [f"{tag}-m{m}" for tag in tags for m in (1, 2)]

    def all_there() -> bool:
        posts, replies = group_counts(stack)
        return all(posts[t] for t in tags) and all(replies[m] for m in expected_replies)

    wait_for(all_there, 120, "every post and relayed reply in the group", 0.5)
    stack.wait_outbox_drained(60)
    healed_after = round(time.monotonic() - started, 1)
    posts, replies = group_counts(stack)
    states = dict(stack.sql("SELECT state, count(*) FROM bots_outboundmessage GROUP BY state"))
    jobs = dict(stack.sql("SELECT status, count(*) FROM core_outboxjob GROUP BY status"))
    retried = stack.sql("SELECT count(*) FROM core_outboxjob WHERE attempts > 1")[0][0]
    record("telegram_faults", {
        **result["counts"].as_dict(),
        "injected": {"5xx": fake.count(method="sendmessage", status=500) + fake.count(method="sendmessage", status=502),
                     "429": fake.count(method="sendmessage", status=429), "slow_answers": 2},
        "tickets": len(tags), "group_posts_expected": len(tags), "group_posts_delivered": sum(posts.values()),
        "replies_expected": len(expected_replies), "replies_delivered": sum(replies.values()),
        "doubled": sum(n - 1 for n in (posts + replies).values() if n > 1),
        "outbound_states": {str(k): v for k, v in states.items()}, "outbox_jobs": {str(k): v for k, v in jobs.items()},
        "jobs_retried": retried, "seconds_to_heal": healed_after,
    })
    assert fake.count(method="sendmessage", status=429) >= 1 and fake.count(method="sendmessage", status=502) == 4
    assert fake.count(method="sendmessage", status=500) == 2
    assert sorted(posts) == sorted(tags) and set(posts.values()) == {1}, posts
    assert sorted(replies) == sorted(expected_replies) and set(replies.values()) == {1}, replies
    assert set(jobs) <= {"done"}, jobs
    assert not states.get("failed"), states
    assert not result["counts"].unclean
