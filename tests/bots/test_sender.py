"""Outbound delivery: recorded in the caller's transaction, sent by the outbox within Telegram's rules."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from bots import chats, outbound
from bots.client import BotClient
from bots.limiter import DatabaseLimiter, RedisLimiter
from bots.models import OutboundMessage, RateWindow, TelegramChat, TelegramChatEvent
from bots.outbound import MessageRef, TopicRef, button, telegram_send
from bots.sender import Sender
from helpdesk.core.models import OutboxJob
from tests.bots.conftest import drain, settle
from tests.fake_telegram import FakeTelegram, image_bytes
from tests.fake_telegram.markup import parse_html, utf16_len
from tests.services import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def group(bridge: FakeTelegram) -> int:
    user = bridge.create_user("Sari")
    return bridge.create_group("ForSID Lotim", members=[user["id"]])


def send(chat_id: int, text: str, key: str, **kwargs: Any) -> MessageRef:
    with transaction.atomic():
        return telegram_send(chat_id=chat_id, text=text, purpose_key=key, **kwargs)


def test_nothing_leaves_before_commit_and_a_rollback_sends_nothing(bridge: FakeTelegram, group: int) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        telegram_send(chat_id=group, text="tidak jadi", purpose_key="k-rollback")
        raise RuntimeError("the change failed")
    assert drain() == 0
    assert bridge.bot_texts(group) == []
    send(group, "jadi", "k-commit")
    send(group, "jadi", "k-commit")  # the same purpose twice is one message
    drain()
    assert bridge.bot_texts(group) == ["jadi"]
    row = OutboundMessage.objects.get(key="k-commit")
    assert row.state == OutboundMessage.State.SENT and row.parts.get().message_id == bridge.bot_messages(group)[0][
        "message_id"]


def test_order_is_kept_within_each_chat(bridge: FakeTelegram, group: int) -> None:
    other = bridge.create_group("ForSID Bima")
    with transaction.atomic():
        for n in range(5):
            telegram_send(chat_id=group, text=f"A{n}", purpose_key=f"a{n}")
            telegram_send(chat_id=other, text=f"B{n}", purpose_key=f"b{n}")
    # The first message of a chat fails once; the rest of that chat waits for it, the other chat does not.
    bridge.fail_next("sendMessage", status=500)
    drain()
    assert bridge.bot_texts(group) == [] and len(bridge.bot_texts(other)) == 5
    settle()
    assert bridge.bot_texts(group) == [f"A{n}" for n in range(5)]
    assert bridge.bot_texts(other) == [f"B{n}" for n in range(5)]


def test_long_text_is_split_at_sensible_places_with_buttons_on_the_last_part(bridge: FakeTelegram,
                                                                              group: int) -> None:
    paragraph = "Langkah: buka menu <b>Kependudukan</b> lalu impor ulang &amp; periksa. "
    text = "<b>Jawaban panjang</b>\n\n" + "\n\n".join(paragraph * 6 for _ in range(25))
    keyboard = [[button("Buka di web", url="https://bantuan.opendesa.id/t/1")]]
    send(group, text, "long", buttons=keyboard)
    drain()
    sent = bridge.bot_messages(group)
    assert len(sent) >= 3
    assert all(utf16_len(m["text"]) <= 4096 for m in sent)
    assert re.sub(r"\s", "", "".join(m["text"] for m in sent)) == re.sub(r"\s", "", parse_html(text)[0])
    assert all(not m["text"].startswith((" ", "\n")) for m in sent)
    assert [("reply_markup" in m) for m in sent] == [False] * (len(sent) - 1) + [True]
    row = OutboundMessage.objects.get(key="long")
    assert row.parts_total == len(sent) == row.parts.count()


def test_broken_formatting_falls_back_to_plain_text(bridge: FakeTelegram, group: int) -> None:
    send(group, "Versi <b>v2410 &amp; <i>lebih baru", "broken")
    drain()
    assert bridge.bot_texts(group) == ["Versi v2410 & lebih baru"]
    assert bridge.count("sendMessage", 400) == 1
    assert OutboundMessage.objects.get(key="broken").plain_fallback


def test_retry_after_holds_back_only_that_chat(bridge: FakeTelegram, group: int, settings: Any) -> None:
    # Let the sender be looser than the fake, so the fake's 429 is what slows the chat down.
    settings.TELEGRAM_SEND_LIMITS = {"per_chat": (100, 1.0), "per_group": (100, 1.0), "overall": (100, 1.0)}
    bridge.set_limits(per_chat=(1, 30.0), per_group=None, overall=None)
    other = bridge.create_group("ForSID Bima")
    send(group, "satu", "r1")
    send(group, "dua", "r2")
    send(other, "lain", "r3")
    drain()
    assert bridge.bot_texts(group) == ["satu"]
    assert bridge.bot_texts(other) == ["lain"]
    assert bridge.count("sendMessage", 429) == 1
    job = OutboxJob.objects.get(key="telegram:r2")
    assert job.status == OutboxJob.Status.PENDING and job.attempts == 0  # a wait is not a failed attempt
    assert job.run_after > timezone.now() + timedelta(seconds=20)
    bridge.set_limits(enabled=False)
    RateWindow.objects.all().delete()  # as if the 30 seconds had passed
    settle()
    assert bridge.bot_texts(group) == ["satu", "dua"]


def test_a_kicked_bot_marks_the_chat_and_stops_writing_there(bridge: FakeTelegram, group: int) -> None:
    seen: list[chats.ChatChange] = []
    chats.on_chat_change(seen.append)
    try:
        bridge.kick_bot(group)
        send(group, "pertama", "k1")
        send(group, "kedua", "k2")
        drain()
    finally:
        chats._HOOKS.remove(seen.append)
    assert OutboundMessage.objects.get(key="k1").state == OutboundMessage.State.FAILED
    assert OutboundMessage.objects.get(key="k2").state == OutboundMessage.State.SKIPPED
    assert bridge.count("sendMessage") == 1  # the second was not even tried
    assert TelegramChat.objects.get(chat_id=group).status == TelegramChat.Status.REMOVED
    event = TelegramChatEvent.objects.get(chat_id=group)
    assert event.kind == "removed" and "kicked" in event.detail
    assert [c.kind for c in seen] == ["removed"]


def test_a_migrated_group_gets_the_message_in_its_supergroup(bridge: FakeTelegram, group: int) -> None:
    new = bridge.migrate_group(group)
    send(group, "setelah migrasi", "m1")
    drain()
    assert bridge.bot_texts(new) == ["setelah migrasi"]
    chat = TelegramChat.objects.get(chat_id=group)
    assert chat.status == TelegramChat.Status.MIGRATED and chat.migrated_to == new
    assert TelegramChatEvent.objects.get(chat_id=group, kind="migrated").new_chat_id == new
    send(group, "berikutnya", "m2")
    drain()
    assert bridge.bot_texts(new) == ["setelah migrasi", "berikutnya"]
    assert bridge.count("sendMessage", 400) == 1  # the second went straight to the new id
    assert OutboundMessage.objects.get(key="m2").sent_chat_id == new


def test_server_errors_back_off_and_deliver_once(bridge: FakeTelegram, group: int) -> None:
    bridge.fail_next("sendMessage", status=502, raw_body="<html>502 Bad Gateway</html>", times=2)
    send(group, "akhirnya", "e1")
    drain()
    job = OutboxJob.objects.get(key="telegram:e1")
    assert job.status == OutboxJob.Status.PENDING and job.attempts == 1 and job.run_after > timezone.now()
    settle()
    assert bridge.bot_texts(group) == ["akhirnya"]
    assert OutboundMessage.objects.get(key="e1").state == OutboundMessage.State.SENT


def test_a_timeout_after_the_request_left_is_never_sent_again(bridge: FakeTelegram, group: int) -> None:
    bridge.slow_down("sendMessage", seconds=1.5)
    impatient = BotClient(bridge.token, bridge.base_url, bridge.base_file_url, read_timeout=0.5)
    try:
        send(group, "lambat", "t1")
        send(group, "berikutnya", "t2")
        row = OutboundMessage.objects.get(key="t1")
        assert Sender(client=impatient).deliver(row) is None
    finally:
        impatient.close()
    drain()
    row.refresh_from_db()
    assert row.state == OutboundMessage.State.UNCERTAIN and row.uncertain_parts == [0]
    # Telegram did get it (late): it shows once, and the chat goes on.
    wait_for(lambda: "lambat" in bridge.bot_texts(group), what="the slow message to arrive")
    assert sorted(bridge.bot_texts(group)) == ["berikutnya", "lambat"]
    assert bridge.count("sendMessage") == 2


def test_topics_threads_replies_and_edits_by_reference(bridge: FakeTelegram) -> None:
    volunteer = bridge.create_user("Sari")
    forum = bridge.create_supergroup("ForSID Bima", forum=True, members=[volunteer["id"]], bot_admin=True,
                                     can_manage_topics=True)
    with transaction.atomic():
        topic = outbound.telegram_create_topic(chat_id=forum, name="#NTB-000001 Gagal login", purpose_key="t:1",
                                               subject="ticket:1")
        card = telegram_send(chat_id=forum, text="<b>Tiket baru</b>", purpose_key="t:1:card", thread_id=topic,
                             buttons=[[button("Saya tangani", callback_data="claim:1")]], subject="ticket:1")
        telegram_send(chat_id=forum, text="balasan", purpose_key="t:1:reply", thread_id=topic, reply_to=card)
        outbound.telegram_edit_text(chat_id=forum, message=card, text="<b>Diambil Sari</b>", purpose_key="t:1:e")
        outbound.telegram_edit_topic(chat_id=forum, topic=topic, name="[selesai] #NTB-000001", purpose_key="t:1:n")
        outbound.telegram_close_topic(chat_id=forum, topic=topic, purpose_key="t:1:c")
    drain()
    thread = outbound.topic_thread_id(TopicRef("t:1"))
    assert bridge.topics(forum) == [{"message_thread_id": thread, "name": "[selesai] #NTB-000001", "closed": True}]
    messages = bridge.bot_messages(forum, thread_id=thread)
    card_message = next(m for m in messages if m.get("text") == "Diambil Sari")
    reply = next(m for m in messages if m.get("text") == "balasan")
    assert reply["reply_to_message"]["message_id"] == card_message["message_id"] == outbound.sent_message_id(card)
    assert "reply_markup" not in card_message  # the edit dropped the button
    # A volunteer's message in the topic points at the topic start, which traces back to the ticket.
    said = bridge.user_sends(forum, volunteer["id"], "sudah saya cek", thread_id=thread)
    traced = outbound.outbound_by_message(forum, said["reply_to_message"]["message_id"])
    assert traced is not None and traced.subject == "ticket:1"


def test_a_topic_without_rights_is_recorded_and_its_messages_go_to_the_main_chat(bridge: FakeTelegram) -> None:
    forum = bridge.create_supergroup("Tanpa hak", forum=True, bot_admin=True, can_manage_topics=False)
    with transaction.atomic():
        topic = outbound.telegram_create_topic(chat_id=forum, name="#NTB-000002 x", purpose_key="nr:1")
        telegram_send(chat_id=forum, text="tetap sampai", purpose_key="nr:1:card", thread_id=topic)
    drain()
    assert OutboundMessage.objects.get(key="nr:1").state == OutboundMessage.State.FAILED
    assert bridge.bot_texts(forum) == ["tetap sampai"]
    assert TelegramChat.objects.get(chat_id=forum).can_manage_topics is False


def test_photos_and_documents_from_storage(bridge: FakeTelegram, group: int) -> None:
    photo = default_storage.save("tests/telegram/layar.png", ContentFile(image_bytes(size=(64, 48))))
    doc = default_storage.save("tests/telegram/galat.log", ContentFile(b"Data too long for column"))
    try:
        send(group, "Tangkapan layar <b>#NTB-000003</b>", "p1", photo=photo)
        send(group, "x" * 1500, "d1", document=doc)  # too long for a caption: the text follows the file
        drain()
    finally:
        default_storage.delete(photo)
        default_storage.delete(doc)
    sent = bridge.bot_messages(group)
    assert sent[0]["caption"] == "Tangkapan layar #NTB-000003" and sent[0]["photo"][-1]["width"] == 64
    assert sent[1]["document"]["file_name"] == "galat.log" and "caption" not in sent[1]
    assert sent[2]["text"] == "x" * 1500


def test_bad_requests_are_refused_when_queued() -> None:
    with pytest.raises(ValueError, match="callback_data"):
        telegram_send(chat_id=-1, text="x", purpose_key="b", buttons=[[{"text": "t", "callback_data": "x" * 65}]])
    with pytest.raises(ValueError, match="purpose_key"):
        telegram_send(chat_id=-1, text="x", purpose_key="")
    with pytest.raises(ValueError):
        telegram_send(chat_id=-1, text=" ", purpose_key="empty")


def test_the_sender_keeps_to_the_limits_so_telegram_never_says_429(bridge: FakeTelegram, settings: Any) -> None:
    bridge.set_limits(per_chat=(1, 1.0), per_group=(3, 4.0), overall=(5, 1.0))
    # A wide margin: the fake counts arrivals, and a busy test machine delays some requests more than others.
    settings.TELEGRAM_SEND_LIMITS = {"per_chat": (1, 1.0), "per_group": (3, 4.0), "overall": (5, 1.0),
                                     "margin": 0.2}
    groups = [bridge.create_group(f"G{n}") for n in range(4)]
    with transaction.atomic():
        for n in range(3):
            for g in groups:
                telegram_send(chat_id=g, text=f"{g}:{n}", purpose_key=f"lim:{g}:{n}")
    settle(timeout=30)
    log = [(round(r["at"] - bridge.requests()[0]["at"], 3), r["chat_id"], r["status"]) for r in bridge.requests("sendMessage")]
    assert bridge.count("sendMessage", 429) == 0, log
    for g in groups:
        assert bridge.bot_texts(g) == [f"{g}:{n}" for n in range(3)]


def test_database_limiter_books_bursts_and_defers_long_waits(transactional_db: Any, settings: Any) -> None:
    settings.TELEGRAM_SEND_LIMITS = {"per_chat": (1, 1.0), "per_group": (2, 10.0), "overall": (30, 1.0),
                                     "margin": 0.0}
    now = [1_800_000_000.0]
    limiter = DatabaseLimiter(clock=lambda: now[0])

    def send(chat: int) -> tuple[bool, float]:
        booked, wait, token = limiter.reserve(chat, inline_max=0.25)
        if booked:
            limiter.confirm(chat, token, float(token))  # the request left on time
        return booked, wait

    assert send(-5) == (True, 0.0)
    booked, wait = send(-5)  # the chat's 1/s: too long to wait in place
    assert not booked and wait == pytest.approx(1.0)
    booked, wait = send(-6)  # another chat is not held back
    assert booked and wait == 0.0
    assert send(-9)[0] and send(-10)[0]
    booked, wait = send(-11)  # the overall pace: a burst of 4, then one every 1/30 s
    assert booked and wait == pytest.approx(4 / 30)
    now[0] += 1.0
    assert send(-5)[0]
    now[0] += 1.0
    booked, wait = send(-5)  # the group's 2 per 10 s
    assert not booked and wait == pytest.approx(8.0)
    limiter.block(-6, 5.0)  # Telegram said retry_after=5 for this chat
    booked, wait = send(-6)
    assert not booked and wait == pytest.approx(5.0)
    now[0] += 1.0
    booked, wait, token = limiter.reserve(-7, inline_max=0.25)
    limiter.confirm(-7, token, float(token) + 0.05)  # it left later than booked: the window counts from then
    assert booked and RateWindow.objects.get(name="chat:-7").stamps == [[float(token) + 0.05, 1]]
    # A booking whose time has passed but that is not confirmed yet counts as leaving now.
    booked, _, token = limiter.reserve(-8, inline_max=0.25)
    now[0] += 0.9
    booked, wait, _ = limiter.reserve(-8, inline_max=2.0)
    assert booked and wait == pytest.approx(1.0)


@pytest.mark.redis
def test_redis_limiter_shares_the_same_windows(redis_url: str, settings: Any) -> None:
    settings.TELEGRAM_SEND_LIMITS = {"per_chat": (1, 1.0), "per_group": (20, 60.0), "overall": (30, 1.0),
                                     "margin": 0.0}
    limiter = RedisLimiter(redis_url, prefix=f"test:{time.time()}:")
    other = RedisLimiter(redis_url, prefix=limiter.prefix)  # another worker process, same windows
    assert limiter.reserve(-1, inline_max=0.25)[0]
    for chat in (-2, -5, -6):
        assert other.reserve(chat, inline_max=0.25)[0]
    booked, wait, _ = other.reserve(-7, inline_max=0.25)
    assert booked and 0.1 < wait <= 4 / 30 + 0.01  # the overall pace is shared
    booked, wait, _ = other.reserve(-1, inline_max=0.25)
    assert not booked and 0.8 < wait <= 1.0  # so is the chat's window
    other.block(-3, 3.0)
    booked, wait, _ = limiter.reserve(-3, inline_max=0.25)
    assert not booked and 2.0 < wait <= 3.0
    booked, _, token = limiter.reserve(-4, inline_max=0.25)
    leaving = time.time() + 0.5
    limiter.confirm(-4, token, leaving)  # moved to when it left, on Redis's clock
    score = limiter.client.zscore(limiter.prefix + "chat:-4", f"d{token}")
    assert booked and score == pytest.approx(leaving + limiter.skew, abs=0.05)


def test_without_a_token_messages_are_skipped_not_retried(settings: Any) -> None:
    settings.TELEGRAM_BOT_TOKEN = ""
    send(-100, "tidak ada bot", "no-token")
    drain()
    row = OutboundMessage.objects.get(key="no-token")
    assert row.state == OutboundMessage.State.SKIPPED and "TELEGRAM_BOT_TOKEN" in row.last_error
    assert OutboxJob.objects.get(key="telegram:no-token").status == OutboxJob.Status.DONE


def test_refreshing_a_chat_records_the_bots_rights(bridge: FakeTelegram) -> None:
    forum = bridge.create_supergroup("ForSID Bima", forum=True, bot_admin=True, can_manage_topics=False)
    seen: list[chats.ChatChange] = []
    chats.on_chat_change(seen.append)
    try:
        with transaction.atomic():
            chats.telegram_refresh_chat(forum)
        drain()
        status = chats.chat_status(forum)
        assert status is not None and status.is_forum and status.bot_is_admin and status.can_manage_topics is False
        bridge.set_bot_rights(forum, admin=True, can_manage_topics=True)
        chats.telegram_refresh_chat(forum)
        drain()
    finally:
        chats._HOOKS.remove(seen.append)
    assert chats.chat_status(forum).can_manage_topics is True  # type: ignore[union-attr]
    assert [c.kind for c in seen] == ["rights", "rights"]
