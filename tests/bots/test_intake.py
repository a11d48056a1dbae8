"""Inbound updates: stored and applied once, through polling or the webhook, with the generic bad-input rules."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from bots import intake
from bots.handlers import Context, HoldUpdate, UsageError, callback_handler, command, message_handler
from bots.models import BridgeState, OutboundMessage, TelegramChat, TelegramUpdate
from bots.outbound import button, telegram_send
from bots.polling import Poller
from tests.bots.conftest import drain
from tests.factories import ForumFactory
from tests.fake_telegram import FakeTelegram, image_bytes
from tests.testapp.models import Marker

pytestmark = pytest.mark.django_db(transaction=True)

State = TelegramUpdate.State


# ----- test handlers: each effect leaves a Marker, so an update applied twice leaves two --------------------------
@command("uji", help="perintah uji", chats="group")
def uji(ctx: Context) -> None:
    if ctx.args == ["salah"]:
        raise UsageError("Pakai: /uji <nomor>")
    Marker.objects.create(job_key=f"uji:{ctx.update_id}", note=" ".join(ctx.args))
    ctx.reply(f"uji {' '.join(ctx.args)}")


@command("tahan", help="perintah uji", hidden=True)
def tahan(ctx: Context) -> None:
    Marker.objects.create(job_key=f"tahan:{ctx.update_id}")
    if not Marker.objects.filter(job_key="sudah-tertaut").exists():
        raise HoldUpdate(held_for=f"tg:{ctx.user.id if ctx.user else 0}", reason="not linked")


@command("rusak", help="perintah uji", hidden=True)
def rusak(ctx: Context) -> None:
    Marker.objects.create(job_key=f"rusak:{ctx.update_id}")
    raise RuntimeError("a bug in a handler")


# Handlers stay registered for the whole test run: this one only takes messages in this module's chats.
TEST_CHATS: set[int] = set()


@message_handler("uji-pesan", chats="group")
def pesan(ctx: Context) -> bool:
    if ctx.chat_id not in TEST_CHATS or ctx.message is None or not (ctx.message.text or ctx.message.photo):
        return False
    Marker.objects.create(job_key=f"pesan:{ctx.update_id}", note=ctx.message.text or "photo")
    return True


@callback_handler("ujitombol")
def tombol(ctx: Context) -> None:
    Marker.objects.create(job_key=f"tombol:{ctx.update_id}", note=ctx.callback.data if ctx.callback else "")
    ctx.answer_callback("Diambil")


@pytest.fixture
def world(bridge: FakeTelegram) -> Iterator[dict[str, Any]]:
    sari = bridge.create_user("Sari", "sari")
    known = bridge.create_group("ForSID Lotim", members=[sari["id"]])
    ForumFactory(telegram_chat_id=known)
    unknown = bridge.create_group("Grup lain", members=[sari["id"]])
    bridge.set_privacy(False)  # these tests are about the dispatcher's rules: the bot reads all group chatter
    TEST_CHATS.update({known, unknown})
    yield {"sari": sari["id"], "known": known, "unknown": unknown}
    TEST_CHATS.clear()


def poll(fake: FakeTelegram) -> int:
    return Poller(poll_timeout=0).poll_once()


def markers(prefix: str) -> list[str]:
    return list(Marker.objects.filter(job_key__startswith=prefix).values_list("note", flat=True))


def test_polling_stores_applies_once_and_persists_the_offset(bridge: FakeTelegram, world: dict[str, Any]) -> None:
    bridge.user_sends(world["known"], world["sari"], "/uji 1")
    bridge.user_sends(world["known"], world["sari"], "/uji 2")
    assert poll(bridge) == 2
    assert markers("uji:") == ["1", "2"]
    offset = BridgeState.objects.get().offset
    assert offset == TelegramUpdate.objects.order_by("-update_id").first().update_id + 1
    # A new poller (a restart) continues from the stored offset; the batch is confirmed and not seen again.
    assert poll(bridge) == 0
    # Telegram re-sending an update it already sent (lost confirmation) changes nothing.
    stored = TelegramUpdate.objects.order_by("update_id").first()
    assert intake.receive(stored.payload, source="polling") is None
    assert intake.apply(stored.update_id) is None
    assert markers("uji:") == ["1", "2"]
    drain()
    assert bridge.bot_texts(world["known"]) == ["uji 1", "uji 2"]


def test_webhook_checks_the_secret_and_applies_each_update_once(bridge: FakeTelegram, world: dict[str, Any],
                                                               settings: Any, client: Client) -> None:
    settings.TELEGRAM_MODE = "webhook"
    settings.TELEGRAM_WEBHOOK_SECRET = "rahasia-webhook-1"
    message = bridge.user_sends(world["known"], world["sari"], "/uji web")
    update = {"update_id": 555, "message": message}
    url = "/telegram/webhook/"
    body = json.dumps(update)
    assert client.post(url, body, content_type="application/json").status_code == 403
    forged = client.post(url, body, content_type="application/json",
                         headers={"X-Telegram-Bot-Api-Secret-Token": "tebakan"})
    assert forged.status_code == 403
    assert not TelegramUpdate.objects.exists()
    headers = {"X-Telegram-Bot-Api-Secret-Token": "rahasia-webhook-1"}
    for _ in range(3):  # Telegram retrying the same update
        assert client.post(url, body, content_type="application/json", headers=headers).status_code == 200
    assert markers("uji:") == ["web"]
    assert TelegramUpdate.objects.get().source == "webhook"
    junk = client.post(url, "{not json", content_type="application/json", headers=headers)
    assert junk.status_code == 200
    odd = client.post(url, json.dumps({"hello": "world"}), content_type="application/json", headers=headers)
    assert odd.status_code == 200
    unknown_kind = client.post(url, json.dumps({"update_id": 556, "message_reaction": {"x": 1}}),
                               content_type="application/json", headers=headers)
    assert unknown_kind.status_code == 200
    assert TelegramUpdate.objects.get(update_id=556).state == State.IGNORED
    assert client.get(url).status_code == 405


def test_webhook_is_off_without_a_token(client: Client, settings: Any) -> None:
    settings.TELEGRAM_BOT_TOKEN = ""
    assert client.post("/telegram/webhook/", "{}", content_type="application/json").status_code == 404


@pytest.mark.parametrize(("mode", "secret"), [("polling", ""), ("polling", "rahasia"), ("webhook", "")])
def test_the_webhook_is_off_unless_in_webhook_mode_with_a_secret(bridge: FakeTelegram, world: dict[str, Any],
                                                                 settings: Any, client: Client, mode: str,
                                                                 secret: str) -> None:
    """A forged update (any sender id, no secret) never acts: polling mode or a missing secret closes the URL."""
    settings.TELEGRAM_MODE = mode
    settings.TELEGRAM_WEBHOOK_SECRET = secret
    message = bridge.user_sends(world["known"], world["sari"], "/uji palsu")
    body = json.dumps({"update_id": 777, "message": message})
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": secret or "apa-saja"}):
        response = client.post("/telegram/webhook/", body, content_type="application/json", headers=headers)
        assert response.status_code == 404
    assert not TelegramUpdate.objects.exists()
    assert markers("uji:") == []


def test_webhook_junk_ids_get_200_and_a_log_line(bridge: FakeTelegram, world: dict[str, Any], settings: Any,
                                                 client: Client, caplog: pytest.LogCaptureFixture) -> None:
    settings.TELEGRAM_MODE = "webhook"
    settings.TELEGRAM_WEBHOOK_SECRET = "rahasia-webhook-3"
    headers = {"X-Telegram-Bot-Api-Secret-Token": "rahasia-webhook-3"}
    message = bridge.user_sends(world["known"], world["sari"], "/uji besar")
    huge_chat = {**message, "chat": {**message["chat"], "id": 2**70}, "from": {**message["from"], "id": -(2**70)}}
    junk = [
        json.dumps({"update_id": 2**63, "message": {}}),
        json.dumps({"update_id": 10**40}),
        '{"update_id": -1, "message": {}}',
        '{"update_id": 1e400}',
        '{"update_id": NaN}',
        '[1, 2]',
        '"teks"',
        "[" * 100_000,
    ]
    for body in junk:
        caplog.clear()
        response = client.post("/telegram/webhook/", body, content_type="application/json", headers=headers)
        assert response.status_code == 200, body[:40]
        assert any(r.levelname == "WARNING" for r in caplog.records), body[:40]
    assert not TelegramUpdate.objects.exists()
    odd = client.post("/telegram/webhook/", json.dumps({"update_id": 901, "message": huge_chat}),
                      content_type="application/json", headers=headers)
    assert odd.status_code == 200
    stored = TelegramUpdate.objects.get(update_id=901)
    assert stored.chat_id is None and stored.from_user_id is None


def test_the_bridge_command_follows_the_mode(bridge: FakeTelegram, settings: Any) -> None:
    from django.core.management import CommandError, call_command

    settings.TELEGRAM_MODE = "polling"
    with pytest.raises(CommandError):
        call_command("telegram_bridge", "--set-webhook", "https://contoh.id/telegram/webhook/")
    settings.TELEGRAM_MODE = "webhook"
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    with pytest.raises(CommandError):
        call_command("telegram_bridge", "--set-webhook", "https://contoh.id/telegram/webhook/")
    with pytest.raises(CommandError):
        call_command("telegram_bridge")  # no long polling in webhook mode


def test_the_webhook_through_the_fake_end_to_end(bridge: FakeTelegram, world: dict[str, Any], live_server: Any,
                                                 settings: Any) -> None:
    from bots.client import get_client

    settings.TELEGRAM_MODE = "webhook"
    settings.TELEGRAM_WEBHOOK_SECRET = "rahasia-webhook-2"
    get_client().run(lambda bot: bot.set_webhook(f"{live_server.url}/telegram/webhook/",
                                                 secret_token="rahasia-webhook-2"))
    bridge.world.webhook_retry_seconds = 0.05
    bridge.user_sends(world["known"], world["sari"], "/uji lewat-webhook")
    from tests.services import wait_for

    wait_for(lambda: markers("uji:") == ["lewat-webhook"], timeout=15, what="the webhook to apply the update")
    wait_for(lambda: bridge.pending_updates() == 0, what="the fake to see the 200")


def test_generic_bad_input_is_ignored_or_answered_and_never_crashes(bridge: FakeTelegram,
                                                                    world: dict[str, Any]) -> None:
    known, unknown, sari = world["known"], world["unknown"], world["sari"]
    helper_bot = bridge.create_user("Bot lain", "lain_bot", is_bot=True)
    private = bridge.create_private_chat(sari)
    sent = bridge.user_sends(known, sari, "pesan awal")
    bridge.user_edits(known, sent["message_id"], "pesan diubah")
    bridge.user_sends(known, helper_bot["id"], "/uji dari-bot")
    bridge.user_sends(known, sari, sticker=True)
    bridge.user_sends(known, sari, voice=True)
    bridge.user_sends(private, sari, voice=True)
    bridge.user_sends(known, sari, document=("besar.zip", b"", "application/zip"), document_size=21 * 1024 * 1024)
    bridge.user_sends(private, sari, document=("besar.zip", b"", "application/zip"), document_size=21 * 1024 * 1024)
    bridge.user_sends(unknown, sari, "/uji di-grup-asing")
    bridge.user_sends(unknown, sari, "obrolan biasa")
    bridge.user_sends(unknown, sari, "/bantuan")
    bridge.user_sends(known, sari, "/tidakada")  # maybe another bot's: ignored in a group (issue 20)
    bridge.user_sends(known, sari, "/tidakada@sid_helpdesk_bot")  # addressed to us: answered
    bridge.user_sends(known, sari, "/uji@bot_lain untuk-bot-lain")
    bridge.user_sends(known, sari, "/uji@sid_helpdesk_bot untuk-kami")
    bridge.user_sends(known, sari, "/uji salah")
    bridge.user_sends(private, sari, "/uji di-pribadi")
    bridge.user_sends(private, sari, "halo?")
    bridge.inject_update({"message": {"message_id": 1, "chat": "bukan objek"}})
    bridge.add_member(known, bridge.create_user("Baru")["id"])
    poll(bridge)
    assert markers("uji:") == ["untuk-kami"] and markers("pesan:") == ["pesan awal"]
    notes = dict(TelegramUpdate.objects.values_list("update_id", "note"))
    states = list(TelegramUpdate.objects.order_by("update_id").values_list("state", flat=True))
    assert State.FAILED not in states and State.RECEIVED not in states
    joined = " | ".join(notes.values())
    for reason in ["edited message", "message from a bot", "sticker not supported", "voice not supported",
                   "file over 20 MB", "unknown group", "unknown command /tidakada (not addressed to this bot)",
                   "unknown command /tidakada", "command for another bot",
                   "refused: Pakai", "wrong kind of chat", "unreadable update", "service message new_chat_members"]:
        assert reason in joined, (reason, joined)
    drain()
    answers = bridge.bot_texts(known)
    assert not any("20 MB" in text for text in answers), "a big file in a group, not meant for the bot: no answer"
    assert any("/tidakada tidak dikenal" in text for text in answers)
    assert "Pakai: /uji <nomor>" in answers
    assert "uji untuk-kami" in answers
    assert len(answers) == 3  # nothing for edits, bots, stickers, voice notes, big files or other bots' commands
    unknown_answers = bridge.bot_texts(unknown)
    assert len(unknown_answers) == 1 and "belum terhubung" in unknown_answers[0]  # only /bantuan
    private_answers = bridge.bot_texts(private)
    assert len(private_answers) == 4  # voice: help; the big file: the limit; /uji: wrong chat; "halo?": an answer
    assert "/bantuan" in private_answers[0] and "20 MB" in private_answers[1] and "grup forum" in private_answers[2]


def test_bantuan_lists_the_commands_of_this_kind_of_chat(bridge: FakeTelegram, world: dict[str, Any]) -> None:
    private = bridge.create_private_chat(world["sari"])
    bridge.user_sends(world["known"], world["sari"], "/bantuan")
    bridge.user_sends(private, world["sari"], "/bantuan")
    poll(bridge)
    drain()
    [group_help] = bridge.bot_texts(world["known"])
    [private_help] = bridge.bot_texts(private)
    assert "/uji — perintah uji" in group_help and "/bantuan" in group_help and "/tahan" not in group_help
    assert "/uji" not in private_help and "/bantuan" in private_help


def test_buttons_reach_their_handler_and_are_answered(bridge: FakeTelegram, world: dict[str, Any]) -> None:
    with transaction.atomic():
        telegram_send(chat_id=world["known"], text="Tiket #1", purpose_key="card",
                      buttons=[[button("Saya tangani", callback_data="ujitombol:1")],
                               [button("Lama", callback_data="usang:1")]])
    drain()
    [card] = bridge.bot_messages(world["known"])
    bridge.press_button(world["known"], card["message_id"], world["sari"], "ujitombol:1")
    bridge.press_button(world["known"], card["message_id"], world["sari"], "usang:1")
    poll(bridge)
    drain()
    assert markers("tombol:") == ["ujitombol:1"]
    assert [a["text"] for a in bridge.callback_answers] == ["Diambil", "Tombol ini sudah tidak berlaku."]


def test_a_failing_handler_is_retried_then_parked_and_the_bridge_goes_on(bridge: FakeTelegram,
                                                                         world: dict[str, Any]) -> None:
    bridge.user_sends(world["known"], world["sari"], "/rusak")
    bridge.user_sends(world["known"], world["sari"], "/uji sesudahnya")
    poll(bridge)
    assert markers("uji:") == ["sesudahnya"]
    broken = TelegramUpdate.objects.get(note="", state=State.RECEIVED)
    assert broken.attempts == 1 and "a bug in a handler" in broken.last_error
    assert not Marker.objects.filter(job_key__startswith="rusak:").exists()  # its writes rolled back
    for _ in range(intake.MAX_ATTEMPTS):
        intake.apply_pending()
    broken.refresh_from_db()
    assert broken.state == State.FAILED and broken.attempts == intake.MAX_ATTEMPTS
    assert intake.retry_failed([broken.update_id]) == 1


def test_held_updates_are_kept_and_applied_once_released(bridge: FakeTelegram, world: dict[str, Any]) -> None:
    bridge.user_sends(world["known"], world["sari"], "/tahan")
    poll(bridge)
    held = TelegramUpdate.objects.get(state=State.HELD)
    assert held.held_for == f"tg:{world['sari']}"
    assert not Marker.objects.filter(job_key__startswith="tahan:").exists()
    Marker.objects.create(job_key="sudah-tertaut")
    assert intake.release_held(f"tg:{world['sari']}") == 1
    assert intake.release_held(f"tg:{world['sari']}") == 0
    assert Marker.objects.filter(job_key__startswith="tahan:").count() == 1
    held.refresh_from_db()
    assert held.state == State.APPLIED


def test_chat_changes_from_service_messages_and_member_updates(bridge: FakeTelegram,
                                                              world: dict[str, Any]) -> None:
    new = bridge.migrate_group(world["known"])
    bridge.kick_bot(world["unknown"])
    poll(bridge)
    assert TelegramChat.objects.get(chat_id=world["known"]).migrated_to == new
    assert TelegramChat.objects.get(chat_id=world["unknown"]).status == TelegramChat.Status.REMOVED
    bridge.add_bot(world["unknown"], admin=True)
    forum = bridge.create_supergroup("Forum", forum=True)
    bridge.add_bot(forum, admin=True, can_manage_topics=True)
    poll(bridge)
    restored = TelegramChat.objects.get(chat_id=world["unknown"])
    assert restored.status == TelegramChat.Status.ACTIVE and restored.bot_is_admin
    assert TelegramChat.objects.get(chat_id=forum).can_manage_topics is True


def test_only_one_poller_holds_the_lease(bridge: FakeTelegram) -> None:
    first, second = Poller(poll_timeout=0), Poller(poll_timeout=0)
    assert first.acquire() and not second.acquire()
    assert first.acquire()  # renewing
    first.release()
    assert second.acquire() and not first.acquire()


def test_a_waiting_poller_takes_over_when_the_first_stops(bridge: FakeTelegram, world: dict[str, Any]) -> None:
    first = Poller(poll_timeout=1, wait_seconds=0.1)
    second = Poller(poll_timeout=1, wait_seconds=0.1)
    runner = threading.Thread(target=first.run)
    runner.start()
    from tests.services import wait_for

    try:
        wait_for(lambda: BridgeState.objects.filter(lease_holder=first.holder).exists(), what="the first lease")
        assert not second.acquire()
        bridge.user_sends(world["known"], world["sari"], "/uji satu")
        wait_for(lambda: markers("uji:") == ["satu"], timeout=15, what="the first poller to apply")
    finally:
        first.stop_event.set()
        runner.join(timeout=15)
    assert second.acquire()
    bridge.user_sends(world["known"], world["sari"], "/uji dua")
    second.poll_once()
    assert markers("uji:") == ["satu", "dua"]


def test_photos_from_users_reach_message_handlers(bridge: FakeTelegram, world: dict[str, Any]) -> None:
    bridge.user_sends(world["known"], world["sari"], photo=image_bytes(), caption="layarnya")
    poll(bridge)
    assert markers("pesan:") == ["photo"]
    from bots.files import FileTooBig, download

    stored = TelegramUpdate.objects.get()
    file_id = stored.payload["message"]["photo"][-1]["file_id"]
    assert download(file_id).content == image_bytes()
    big = bridge.user_sends(world["known"], world["sari"], document=("b.zip", b"", "x/y"),
                            document_size=30 * 1024 * 1024)
    with pytest.raises(FileTooBig):
        download(big["document"]["file_id"])
    assert OutboundMessage.objects.count() == 0
