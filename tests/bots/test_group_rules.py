"""Issue 20 end to end through the fake: what reaches the operator, linking that recovers, quiet groups, the menu,
rendering. Each test drives the real python-telegram-bot client against the fake Bot API."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.utils import timezone

from bots import builtin, chats, linking
from bots.models import TelegramChat, TelegramUpdate
from bots.ticket_models import ForumTelegramSettings
from helpdesk.tickets import services
from helpdesk.tickets.models import Message, Ticket
from tests.bots.conftest import settle
from tests.bots.test_ticket_bridge import as_user, file_ticket, link_via_deep_link, step
from tests.fake_telegram import FakeTelegram, image_bytes
from tests.kb.conftest import publish
from tests.tickets import conftest as tickets_conftest
from tests.tickets.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)

world = tickets_conftest.world


def forum_group(fake: FakeTelegram, world: World, *members: dict[str, Any]) -> int:
    """A forum supergroup with topics, the bot an admin, linked to ForSID Lotim with /hubungkan."""
    coord = fake.create_user("Koordinator", "koord")
    group = fake.create_supergroup("ForSID Lotim", forum=True, members=[coord["id"], *[m["id"] for m in members]],
                                   bot_admin=True, can_manage_topics=True)
    code = as_user(world.coord_lotim).post(f"/api/v1/forums/{world.lotim.pk}/telegram-code/").json()["code"]
    fake.user_sends(group, coord["id"], f"/hubungkan {code}")
    step(fake)
    return group


def group_and_operator(fake: FakeTelegram, world: World) -> tuple[dict[str, Any], int, dict[str, Any]]:
    """Budi, the Lotim volunteer, in the linked forum group, and the Tanjung Luar operator in a private chat with
    the bot, both linked to their accounts: (budi, group, operator)."""
    budi = fake.create_user("Budi", "budi")
    group = forum_group(fake, world, budi)
    linking.link_account(user=world.vol_lotim, telegram_user_id=budi["id"])
    operator = fake.create_user("Operator", "op_tanjung")
    fake.create_private_chat(operator["id"])
    linking.link_account(user=world.op_a, telegram_user_id=operator["id"])
    return budi, group, operator


def card_of(fake: FakeTelegram, group: int) -> tuple[dict[str, Any], int]:
    topic_id = fake.topics(group)[-1]["message_thread_id"]
    card = next(m for m in fake.bot_messages(group, thread_id=topic_id) if m.get("reply_markup"))
    return card, topic_id


def messages(ticket: Ticket) -> list[tuple[str, str]]:
    return [(m.kind, m.body) for m in Message.objects.filter(ticket=ticket).exclude(kind="system").order_by("pk")]


def test_only_replies_to_the_card_or_the_operator_reach_the_operator(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    budi = fake.create_user("Budi", "budi")
    group = forum_group(fake, world, budi)
    linking.link_account(user=world.vol_lotim, telegram_user_id=budi["id"])
    ticket = file_ticket(world)
    settle()
    card, topic = card_of(fake, group)
    assert "Yang terkirim ke operator: balasan pada kartu ini" in card["text"]
    assert "Muncul galat saat impor." in card["text"], "the description is on the card"

    fake.user_sends(group, budi["id"], "wkwk siapa yang pernah ketemu ini?", thread_id=topic)
    fake.user_sends(group, budi["id"], "Versi berapa, Pak?", thread_id=topic, reply_to=card["message_id"])
    fake.user_sends(group, budi["id"], "/balas Sudah dicoba impor ulang?", thread_id=topic)
    fake.user_sends(group, budi["id"], photo=image_bytes(), caption="/catatan layar dari relawan lain",
                    thread_id=topic)
    step(fake)
    services.message_create(ticket=Ticket.objects.get(pk=ticket.pk), author=world.op_a, body="Versi 2410.")
    settle()
    relayed = fake.bot_messages(group, thread_id=topic)[-1]
    assert "Versi 2410." in relayed["text"] and not relayed.get("link_preview_options")
    album = fake.user_sends_album(group, budi["id"], [image_bytes("red"), image_bytes("blue")],
                                  caption="Ini langkahnya", thread_id=topic, reply_to=relayed["message_id"])
    step(fake)
    settle()
    assert messages(ticket) == [
        ("internal", "wkwk siapa yang pernah ketemu ini?"),
        ("reply", "Versi berapa, Pak?"),
        ("reply", "Sudah dicoba impor ulang?"),
        ("internal", "layar dari relawan lain"),
        ("reply", "Versi 2410."),
        ("reply", "Ini langkahnya"),
    ]
    last = Message.objects.filter(ticket=ticket).order_by("-pk").first()
    assert last is not None and last.attachments.count() == 2, "an album is one reply with all its files"
    note = Message.objects.get(ticket=ticket, body="layar dari relawan lain")
    assert note.attachments.count() == 1

    # An edit within a few minutes updates the reply (tests/bots/test_message_edits.py has the rest).
    fake.user_edits(group, album[0]["message_id"], "Ini langkahnya (diperbaiki)")
    step(fake)
    assert messages(ticket)[-1] == ("reply", "Ini langkahnya (diperbaiki)")

    # A forum may make every message a reply.
    ForumTelegramSettings.objects.create(forum=world.lotim, every_message_is_reply=True)
    fake.user_sends(group, budi["id"], "Semua pesan terkirim sekarang.", thread_id=topic)
    step(fake)
    assert messages(ticket)[-1] == ("reply", "Semua pesan terkirim sekarang.")


def test_a_volunteer_who_never_started_the_bot_claims_links_and_gets_the_claim(bridge: FakeTelegram,
                                                                              world: World) -> None:
    fake = bridge
    budi = fake.create_user("Budi", "budi")
    group = forum_group(fake, world, budi)
    ticket = file_ticket(world)
    settle()
    card, topic = card_of(fake, group)

    fake.press_button(group, card["message_id"], budi["id"], f"claim:{ticket.pk}")
    fake.user_sends(group, budi["id"], "Saya cek dulu ya", thread_id=topic, reply_to=card["message_id"])
    step(fake)
    [answer] = [a for a in fake.callback_answers if a["user_id"] == budi["id"]]
    assert answer["text"].startswith("Tautkan akun") and TelegramUpdate.objects.filter(state="held").count() == 2
    [answered] = fake.requests("answerCallbackQuery", 200)
    assert answered["status"] == 200
    # The private message that explains linking cannot reach him yet: Telegram says 403 and the chat is removed.
    linking.tell_unlinked()
    settle()
    assert chats.chat_is_removed(budi["id"])

    # He opens the link from the button's answer: any private message makes the chat reachable again.
    fake.user_starts_bot(budi["id"], "tautkan")
    step(fake)
    assert not chats.chat_is_removed(budi["id"])
    assert "Tautkan Telegram" in fake.bot_texts(budi["id"])[-1]
    link_via_deep_link(fake, world.vol_lotim, budi["id"])
    settle()
    texts = fake.bot_texts(budi["id"])
    assert any("tertaut ke" in t for t in texts), "the linking confirmation arrives"
    assert any("Anda tangani" in t for t in texts), "and the claim, told privately"
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == world.vol_lotim.pk
    assert TelegramChat.objects.get(chat_id=budi["id"]).status == "active"

    # The held group message is offered back, not published.
    offer = next(m for m in fake.bot_messages(budi["id"]) if "belum terkirim" in (m.get("text") or ""))
    assert "Saya cek dulu ya" in offer["text"]
    assert not Message.objects.filter(ticket=ticket, body="Saya cek dulu ya").exists()
    data = offer["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    fake.press_button(budi["id"], offer["message_id"], budi["id"], data)
    step(fake)
    settle()
    assert Message.objects.get(ticket=ticket, body="Saya cek dulu ya").kind == "reply"


def test_quiet_groups_unknown_commands_and_the_forum_settings(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    budi = fake.create_user("Budi", "budi")
    group = forum_group(fake, world, budi)
    linking.link_account(user=world.vol_lotim, telegram_user_id=budi["id"])
    before = len(fake.bot_texts(group))
    fake.user_sends(group, budi["id"], "/warn spammer")
    fake.user_sends(group, budi["id"], "/ban@other_bot spammer")
    step(fake)
    assert len(fake.bot_texts(group)) == before, "other bots' commands get no help text"
    fake.user_sends(group, budi["id"], "/tidakada@sid_helpdesk_bot")
    step(fake)
    assert "tidak dikenal" in fake.bot_texts(group)[-1]

    # Quiet hours all day: even the new ticket's card is silent; SLA warnings go to the group when asked.
    ForumTelegramSettings.objects.create(forum=world.lotim, quiet_from=time(0, 0), quiet_until=time(23, 59, 59),
                                         sla_warnings=ForumTelegramSettings.SlaTo.GROUP)
    fake.reset_log()
    ticket = file_ticket(world)
    settle()
    from helpdesk.tickets import escalation

    escalation.warn(Ticket.objects.get(pk=ticket.pk), escalation.FIRST)
    settle()
    sent = [r for r in fake.requests("sendMessage", 200) if str(r["chat_id"]) == str(group)]
    assert sent and all(r.get("disable_notification") for r in sent)
    warning = fake.bot_texts(group)[-1]
    assert "mendekati batas respons pertama" in warning and ("WITA" in warning)


def test_menus_questions_greeting_and_setup_advice(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    assert builtin.publish_commands() == 6
    private = fake.world.commands['{"type": "all_private_chats"}|']
    admins = fake.world.commands['{"type": "all_chat_administrators"}|']
    groups = fake.world.commands['{"type": "all_group_chats"}|']
    assert {"baru", "cari", "status", "batal", "berhenti"} <= {c["command"] for c in private}
    assert "hubungkan" in {c["command"] for c in admins} and "hubungkan" not in {c["command"] for c in groups}
    assert {"balas", "catatan", "antrean"} <= {c["command"] for c in groups}
    assert '{"type": "all_private_chats"}|en' in fake.world.commands

    # Added to a group: a greeting with the steps. /hubungkan in a group where the bot reads only commands.
    coord = fake.create_user("Koordinator", "koord")
    group = fake.create_group("Grup baru", members=[coord["id"]], bot=False)
    fake.add_bot(group, by_user=coord["id"])
    step(fake)
    assert "/hubungkan KODE" in fake.bot_texts(group)[-1]
    fake.user_sends(group, coord["id"], "/hubungkan")
    step(fake)
    question = fake.bot_messages(group)[-1]
    assert "Kirim kode" in question["text"]
    code = as_user(world.coord_lotim).post(f"/api/v1/forums/{world.lotim.pk}/telegram-code/").json()["code"]
    fake.user_sends(group, coord["id"], code, reply_to=question["message_id"])  # a reply to the bot: delivered
    step(fake)
    settle()
    texts = fake.bot_texts(group)
    assert any("terhubung ke forum" in t for t in texts)
    assert "privacy mode" in texts[-1] and "admin grup" in texts[-1] and "/setprivacy" in texts[-1]

    # In private: a bare /status asks, and the answer runs it; a stranger's refusal is escaped once.
    tg = fake.create_user("Operator")
    fake.create_private_chat(tg["id"])
    linking.link_account(user=world.op_a, telegram_user_id=tg["id"])
    ticket = file_ticket(world)
    fake.user_sends(tg["id"], tg["id"], "/status")
    step(fake)
    asked = fake.bot_messages(tg["id"])[-1]
    assert "Nomor tiketnya?" in asked["text"]
    fake.user_sends(tg["id"], tg["id"], ticket.number, reply_to=asked["message_id"])
    step(fake)
    assert fake.bot_texts(tg["id"])[-1].startswith(f"#{ticket.number}")
    stranger = fake.create_user("Warga")
    fake.create_private_chat(stranger["id"])
    fake.user_sends(stranger["id"], stranger["id"], "/status NTB-1")
    step(fake)
    refusal = fake.bot_texts(stranger["id"])[-1]
    assert "belum tertaut" in refusal and "&" not in refusal and "/daftar/" in refusal


def test_tiket_in_its_topic_and_search_rendering(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    budi = fake.create_user("Budi", "budi")
    group = forum_group(fake, world, budi)
    linking.link_account(user=world.vol_lotim, telegram_user_id=budi["id"])
    ticket = file_ticket(world)
    settle()
    _card, topic = card_of(fake, group)
    fake.user_sends(group, budi["id"], "/tiket", thread_id=topic)
    step(fake)
    assert fake.bot_texts(group, thread_id=topic)[-1].startswith(f"#{ticket.number}")

    publish(world, title="Gagal impor \"data\" penduduk", tags="impor",
            question="Impor penduduk berhenti dengan galat.", answer="Potong kolom nama lalu impor ulang.")
    settle()
    tg = fake.create_user("Operator")
    fake.create_private_chat(tg["id"])
    linking.link_account(user=world.op_a, telegram_user_id=tg["id"])
    fake.user_sends(tg["id"], tg["id"], "/cari impor")
    fake.user_sends(tg["id"], tg["id"], "/cari zzzzqqq")
    step(fake)
    found, nothing = fake.bot_messages(tg["id"])[-2:]
    assert "<mark>" not in found["text"] and "&quot;" not in found["text"] and "&lt;" not in found["text"]
    assert any(e["type"] == "bold" for e in found.get("entities", [])), "<mark> became bold"
    assert "/baru zzzzqqq" in nothing["text"]
    assert all(r.get("link_preview_options", {}).get("is_disabled") for r in fake.requests("sendMessage", 200))
    assert timezone.now()


def test_the_forum_settings_page(bridge: FakeTelegram, world: World) -> None:
    from django.test import Client

    web = Client()
    web.force_login(world.coord_lotim)
    assert "Pengaturan Telegram" in web.get(f"/forsid/{world.lotim.pk}/").content.decode()
    page = web.get(f"/forsid/{world.lotim.pk}/telegram/pengaturan/")
    assert page.status_code == 200 and "every_message_is_reply" in page.content.decode()
    saved = web.post(f"/forsid/{world.lotim.pk}/telegram/pengaturan/", {
        "every_message_is_reply": "on", "post_files": "on", "sla_warnings": "group", "quiet_from": "21:00",
        "quiet_until": "06:00"})
    assert saved.status_code == 302
    row = ForumTelegramSettings.objects.get(forum=world.lotim)
    assert row.every_message_is_reply and not row.post_escalations and row.quiet_from == time(21, 0)
    volunteer = Client()
    volunteer.force_login(world.vol_lotim)
    assert volunteer.get(f"/forsid/{world.lotim.pk}/telegram/pengaturan/").status_code in (403, 404)


def test_a_reply_to_a_solved_ticket_reopens_its_topic_first(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    budi = fake.create_user("Budi", "budi")
    group = forum_group(fake, world, budi)
    linking.link_account(user=world.vol_lotim, telegram_user_id=budi["id"])
    ticket = file_ticket(world)
    settle()
    card, topic = card_of(fake, group)
    fake.user_sends(group, budi["id"], "/selesai Sudah beres.", thread_id=topic)
    step(fake)
    assert fake.topics(group)[-1]["closed"] and fake.topics(group)[-1]["name"].startswith("✅")
    services.message_create(ticket=Ticket.objects.get(pk=ticket.pk), author=world.op_a, body="Masih gagal, Pak.")
    settle()
    assert not fake.topics(group)[-1]["closed"] and fake.topics(group)[-1]["name"].startswith("#")
    assert "Masih gagal, Pak." in fake.bot_texts(group, thread_id=topic)[-1]
    assert fake.count(status=400) == 0
    edited = next(m for m in fake.bot_messages(group) if m["message_id"] == card["message_id"])
    assert "Status: Ditangani" in edited["text"]
