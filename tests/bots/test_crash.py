"""Crash tests: worker and bridge processes killed at the worst moments; the fake counts what arrived.

The sender records a part as `sending` (committed) right before its request, and its message id right after.
Killed after Telegram accepted a message but before the id was recorded, it must not send it again; killed
after recording but before acknowledging the job, likewise. The one window where a message can be lost is
between the `sending` commit and the request leaving; the test for it shows the bound: that message is
flagged `uncertain` for a person to resend, and nothing else is affected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from bots.admin import OutboundMessageAdmin
from bots.models import OutboundMessage, TelegramUpdate
from bots.outbound import telegram_send
from helpdesk.core.models import OutboxJob
from tests.bots.conftest import bridge_env, drain, log_tail
from tests.fake_telegram import FakeTelegram
from tests.services import manage, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

LOOSE = json.dumps({"per_chat": [1000, 1.0], "per_group": [1000, 1.0], "overall": [1000, 1.0], "margin": 0})


def worker_env(fake: FakeTelegram, crash_at: str = "") -> dict[str, str]:
    extra = {"TASKS_LEASE_SECONDS": "5", "TASKS_POLL_SECONDS": "0.1", "HELPDESK_TEST_TELEGRAM_LIMITS": LOOSE}
    if crash_at:
        extra["HELPDESK_TELEGRAM_CRASH_AT"] = crash_at
    return bridge_env(fake, **extra)


def queue(chat_id: int, texts: list[str]) -> None:
    with transaction.atomic():
        for text in texts:
            telegram_send(chat_id=chat_id, text=text, purpose_key=f"crash:{chat_id}:{text}")


def run_until_crash(args: list[str], env: dict[str, str], log: Path) -> None:
    process = manage(*args, env=env, log=log)
    try:
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 137, f"expected the crash point to end the process, got {code}:\n{log_tail(log)}"


def run_until(args: list[str], env: dict[str, str], log: Path, done: Any, what: str) -> None:
    process = manage(*args, env=env, log=log)
    try:
        wait_for(lambda: process.poll() is not None or done(), timeout=60, what=what)
        assert process.poll() is None, f"the process died:\n{log_tail(log)}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def all_final() -> bool:
    return not OutboundMessage.objects.filter(state=OutboundMessage.State.QUEUED).exists()


@pytest.fixture
def chats(bridge: FakeTelegram) -> tuple[int, int]:
    return bridge.create_group("Grup A"), bridge.create_group("Grup B")


@pytest.mark.parametrize("crash_at", ["after_send", "after_record"])
def test_a_sender_killed_after_telegram_accepted_neither_loses_nor_repeats(
    bridge: FakeTelegram, chats: tuple[int, int], crash_at: str, tmp_path: Path
) -> None:
    a, b = chats
    queue(a, ["a1", "a2", "a3"])
    queue(b, ["b1", "b2"])
    run_until_crash(["run_worker"], worker_env(bridge, crash_at), tmp_path / "w1.log")
    assert sum(len(bridge.bot_texts(chat)) for chat in chats) == 1  # it died right after the first send
    run_until(["run_worker"], worker_env(bridge), tmp_path / "w2.log", all_final, "the second worker to finish")
    assert bridge.bot_texts(a) == ["a1", "a2", "a3"]
    assert bridge.bot_texts(b) == ["b1", "b2"]
    states = dict(OutboundMessage.objects.values_list("text", "state"))
    first = next(text for text, _ in sorted(OutboundMessage.objects.values_list("text", "id"), key=lambda x: x[1]))
    # After "after_send" the sender cannot know the first one arrived: it says so rather than repeat it.
    expected = OutboundMessage.State.UNCERTAIN if crash_at == "after_send" else OutboundMessage.State.SENT
    assert states.pop(first) == expected
    assert set(states.values()) == {OutboundMessage.State.SENT}
    assert not OutboxJob.objects.filter(kind="telegram.send").exclude(status=OutboxJob.Status.DONE).exists()


def test_the_window_before_the_request_leaves_is_flagged_not_duplicated(
    bridge: FakeTelegram, chats: tuple[int, int], tmp_path: Path, admin_client: Any
) -> None:
    a, _ = chats
    queue(a, ["a1", "a2"])
    run_until_crash(["run_worker"], worker_env(bridge, "before_send"), tmp_path / "w1.log")
    assert bridge.count("sendMessage") == 0
    run_until(["run_worker"], worker_env(bridge), tmp_path / "w2.log", all_final, "the second worker to finish")
    # The bound: the message whose request never left is the only one not delivered, and it is flagged.
    assert bridge.bot_texts(a) == ["a2"]
    lost = OutboundMessage.objects.get(text="a1")
    assert lost.state == OutboundMessage.State.UNCERTAIN and lost.uncertain_parts == [0]
    # A person looks at the chat and decides to send it again (the admin action).
    response = admin_client.post("/admin/bots/outboundmessage/", {
        "action": "send_again", "_selected_action": [lost.pk]})
    assert response.status_code == 302
    drain()
    assert bridge.bot_texts(a) == ["a2", "a1"]
    assert OutboundMessageAdmin  # the action lives there


@pytest.mark.parametrize("crash_at", ["apply_update", "after_store"])
def test_a_bridge_killed_while_applying_updates_applies_each_once(
    bridge: FakeTelegram, tmp_path: Path, crash_at: str
) -> None:
    users = [bridge.create_user(f"Operator {n}") for n in range(3)]
    chats = [bridge.create_private_chat(user["id"]) for user in users]
    for user, chat in zip(users, chats, strict=True):
        bridge.user_sends(chat, user["id"], "/bantuan")
    args = ["telegram_bridge", "--poll-timeout", "1", "--wait", "0.2"]
    run_until_crash(args, worker_env(bridge, crash_at), tmp_path / "b1.log")
    assert TelegramUpdate.objects.count() == 3  # stored with the offset, in one transaction
    assert not TelegramUpdate.objects.exclude(state=TelegramUpdate.State.RECEIVED).exists()

    def applied() -> bool:
        return not TelegramUpdate.objects.filter(state=TelegramUpdate.State.RECEIVED).exists()

    run_until(args, worker_env(bridge), tmp_path / "b2.log", applied, "the restarted bridge to apply")
    # The restart applied what was stored; the stored offset kept Telegram from sending the batch again.
    assert TelegramUpdate.objects.count() == 3
    assert set(TelegramUpdate.objects.values_list("state", flat=True)) == {TelegramUpdate.State.APPLIED}
    drain()
    for chat in chats:
        replies = bridge.bot_texts(chat)
        assert len(replies) == 1 and "Bantuan SID Helpdesk" in replies[0]
