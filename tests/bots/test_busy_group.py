"""A busy ForSID group through the fake Bot API: what the bridge must not do when many people talk at once (say a
private ticket in another forum's group, lose the tickets filed while the bot was out of the group, answer files
that were never meant for it, ring everyone's phone with its refusals, leave a private message unanswered)."""

from __future__ import annotations

from typing import Any

import pytest

from bots import linking
from bots.models import TelegramUpdate
from helpdesk.tickets import services
from helpdesk.tickets.models import Message, Ticket, Visibility
from tests.bots.conftest import settle
from tests.bots.test_group_rules import card_of, group_and_operator
from tests.bots.test_ticket_bridge import step
from tests.fake_telegram import FakeTelegram
from tests.tickets import conftest as tickets_conftest
from tests.tickets.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)

world = tickets_conftest.world


def bima_group(fake: FakeTelegram, world: World, *members: dict[str, Any]) -> int:
    """The Bima forum's plain group, linked (as /hubungkan would)."""
    group = fake.create_group("ForSID Bima", members=[m["id"] for m in members])
    linking.forum_link_chat(forum=world.bima, chat_id=group)
    return group


def sends(fake: FakeTelegram, chat: int, method: str = "sendMessage") -> list[dict[str, Any]]:
    return [r for r in fake.requests(method, 200) if r["chat_id"] is not None and int(r["chat_id"]) == chat]


def test_tiket_shows_a_private_ticket_only_in_the_group_that_carries_it(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    budi, group, _operator = group_and_operator(fake, world)
    ticket = world.ticket(description="Data desa kami")
    settle()
    other = bima_group(fake, world, budi)  # Budi is in both groups; he may see the ticket, the Bima group may not

    fake.user_sends(other, budi["id"], f"/tiket {ticket.number}")
    step(fake)
    answer = fake.bot_texts(other)[-1]
    assert "Data desa kami" not in answer and "Gagal impor" not in answer
    assert f"Tiket {ticket.number} bukan tiket forum grup ini" in answer and f"/status {ticket.number}" in answer

    fake.user_sends(group, budi["id"], f"/tiket {ticket.number}")  # its own forum's group: shown
    Ticket.objects.filter(pk=ticket.pk).update(visibility=Visibility.PUBLIC)
    fake.user_sends(other, budi["id"], f"/tiket {ticket.number}")  # a public ticket: anyone may read it
    step(fake)
    assert "Data desa kami" in fake.bot_texts(group)[-1]
    assert "Data desa kami" in fake.bot_texts(other)[-1]


def test_tickets_filed_while_the_bot_was_out_of_the_group_are_posted_when_it_returns(
        bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    budi, group, _operator = group_and_operator(fake, world)
    fake.create_private_chat(budi["id"])
    first = world.ticket(title="Sebelum dikeluarkan")
    settle()
    assert fake.bot_texts(budi["id"]) == [], "the group shows it to Budi"
    fake.kick_bot(group)
    step(fake)
    missed = world.ticket(title="Saat bot di luar grup")
    settle()
    assert [t["name"] for t in fake.topics(group)] == [f"#{first.number} Sebelum dikeluarkan"]
    assert f"Tiket baru {missed.number}" in fake.bot_texts(budi["id"])[-1], "meanwhile he hears it privately"

    fake.add_bot(group, admin=True, can_manage_topics=True)
    step(fake)
    step(fake)  # a second look changes nothing: posted once
    assert [t["name"] for t in fake.topics(group)] == [f"#{first.number} Sebelum dikeluarkan",
                                                       f"#{missed.number} Saat bot di luar grup"]
    card, _topic = card_of(fake, group)
    assert "Saat bot di luar grup" in card["text"] and "Tiket ini masuk saat bot tidak ada di grup." in card["text"]


def test_files_over_20_mb_are_answered_only_when_meant_for_the_bot_and_quietly(
        bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    budi, group, _operator = group_and_operator(fake, world)
    ticket = world.ticket()
    settle()
    card, topic = card_of(fake, group)
    fake.reset_log()
    big = 25 * 1024 * 1024
    # Chatter in the group's general part: a big video someone shares is none of the bot's business.
    fake.user_sends(group, budi["id"], document=("rapat.mp4", b"\x00\x00\x00 ftypisom", "video/mp4"),
                    document_size=big)
    step(fake)
    assert sends(fake, group) == []

    fake.user_sends(group, budi["id"], document=("log.zip", b"PK\x03\x04", "application/zip"), document_size=big,
                    thread_id=topic, reply_to=card["message_id"])
    step(fake)
    [answer] = sends(fake, group)
    assert answer["disable_notification"], "the bot's answers in a group don't notify"
    assert "lebih dari 20 MB" in fake.bot_texts(group, thread_id=topic)[-1]
    assert not Message.objects.filter(ticket=ticket, body__contains="log.zip").exists()


def test_a_rejected_file_is_answered_quietly_in_the_group(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    budi, group, _operator = group_and_operator(fake, world)
    ticket = world.ticket()
    settle()
    card, topic = card_of(fake, group)
    fake.reset_log()
    fake.user_sends(group, budi["id"], document=("layar.jpg", b"MZ\x90\x00" + b"\x00" * 200, "image/jpeg"),
                    thread_id=topic, reply_to=card["message_id"])
    step(fake)
    assert "Jenis berkas tidak diizinkan" in fake.bot_texts(group, thread_id=topic)[-1]
    [answer] = sends(fake, group)
    assert answer["disable_notification"]
    # The reply that was only this file says on the ticket that nothing was attached.
    settle()
    [reply] = Message.objects.filter(ticket=ticket, body__contains="layar.jpg")
    assert reply.body == "📎 layar.jpg (tidak dilampirkan: berkasnya ditolak)" and not reply.attachments.exists()


@pytest.mark.parametrize("text", ["/", "/ halo", "/mulai@bot_lain"])
def test_a_bare_slash_in_a_private_chat_is_answered(bridge: FakeTelegram, world: World, text: str) -> None:
    fake = bridge
    person = fake.create_user("Warga", "warga")
    chat = fake.create_private_chat(person["id"])
    fake.user_sends(chat, person["id"], text)
    step(fake)
    assert fake.bot_texts(chat) == [
        "Saya belum mengerti pesan ini. Ketik /bantuan untuk melihat apa yang bisa saya bantu."]


def test_after_a_group_becomes_a_supergroup_nothing_lands_on_the_wrong_message(
        bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    budi = fake.create_user("Budi", "budi")
    coord = fake.create_user("Koordinator", "koord")
    group = fake.create_group("ForSID Lotim", members=[coord["id"], budi["id"]])
    fake.set_bot_rights(group, admin=True)
    linking.forum_link_chat(forum=world.lotim, chat_id=group)
    linking.link_account(user=world.vol_lotim, telegram_user_id=budi["id"])
    for chatter in ("pagi", "ada rapat?", "siap"):
        fake.user_sends(group, budi["id"], chatter)
    step(fake)
    ticket = world.ticket(title="Sebelum migrasi")
    settle()
    [card] = [m for m in fake.bot_messages(group) if m.get("reply_markup")]
    supergroup = fake.migrate_group(group)
    step(fake)

    # The operator writes a few times; in the supergroup, ids start again, so one of these has the card's old id.
    for i in range(card["message_id"] + 1):
        services.message_create(ticket=Ticket.objects.get(pk=ticket.pk), author=world.op_a, body=f"balasan {i}")
    settle()
    relays = fake.bot_messages(supergroup)
    assert any(m["message_id"] == card["message_id"] for m in relays)
    assert not any("reply_to_message" in m and m["reply_to_message"]["message_id"] == card["message_id"]
                   for m in relays), "not threaded under some other message of the supergroup"

    services.ticket_claim(ticket=Ticket.objects.get(pk=ticket.pk), actor=world.vol_lotim)  # edits the old card
    settle()
    texts = fake.bot_texts(supergroup)
    assert texts == [f"💬 Operator Tanjung Luar (operator desa):\nbalasan {i}" for i in range(len(texts))], \
        "no relayed reply overwritten by the card"

    # Budi answers a relayed reply in the supergroup: it reaches the ticket, and is not echoed back to the group.
    fake.user_sends(supergroup, budi["id"], "Coba impor ulang.", reply_to=relays[-1]["message_id"])
    step(fake)
    assert Message.objects.filter(ticket=ticket, kind=Message.Kind.REPLY, body="Coba impor ulang.").exists()
    assert not any("Coba impor ulang." in t for t in fake.bot_texts(supergroup))


def test_a_long_reply_cut_in_the_group_says_where_the_rest_is(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    _budi, group, _operator = group_and_operator(fake, world)
    ticket = world.ticket()
    settle()
    _card, topic = card_of(fake, group)
    long_body = "Langkah yang sudah saya coba:\n" + "impor ulang lalu cek log. " * 300 + "AKHIR"
    services.message_create(ticket=Ticket.objects.get(pk=ticket.pk), author=world.op_a, body=long_body)
    services.message_create(ticket=Ticket.objects.get(pk=ticket.pk), author=world.op_a, body="Pendek saja.")
    settle()
    cut, short = fake.bot_texts(group, thread_id=topic)[-2:]
    assert "AKHIR" not in cut and cut.endswith(f"Selengkapnya di web: http://127.0.0.1:8000/tiket/{ticket.number}/")
    assert short.endswith("Pendek saja.")


def test_a_command_from_someone_not_linked_is_answered_in_the_group(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    _budi, group, _operator = group_and_operator(fake, world)
    world.ticket()
    settle()
    _card, topic = card_of(fake, group)
    newcomer = fake.create_user("Relawan Baru", "baru")  # never opened the bot: Telegram refuses a private note
    fake.add_member(group, newcomer["id"])
    fake.user_sends(group, newcomer["id"], "/selesai Sudah beres", thread_id=topic)
    fake.user_sends(group, newcomer["id"], "obrolan biasa di topik", thread_id=topic)
    step(fake)
    assert TelegramUpdate.objects.filter(state="held").count() == 2
    answers = fake.bot_texts(group, thread_id=topic)
    assert answers[-1] == ("Akun Telegram Anda belum ditautkan ke akun SID Helpdesk, jadi perintah ini belum "
                           "dijalankan. Buka https://t.me/sid_helpdesk_bot?start=tautkan untuk menautkannya; setelah "
                           "itu perintah ini ditawarkan kembali untuk dikirim.")
    assert sum("belum ditautkan" in text for text in answers) == 1, "chatter is held quietly"
    assert sends(fake, group)[-1]["disable_notification"]


def test_an_edit_that_comes_before_its_message_is_not_lost(bridge: FakeTelegram, world: World) -> None:
    """With a webhook, Telegram's requests run side by side: the edit of a message can be applied first."""
    from bots import intake

    fake = bridge
    budi, group, operator = group_and_operator(fake, world)
    ticket = world.ticket()
    settle()
    card, topic = card_of(fake, group)
    sent = fake.user_sends(group, budi["id"], "Coba versi 2410.", thread_id=topic, reply_to=card["message_id"])
    fake.user_edits(group, sent["message_id"], "Coba versi 2411.")
    message, edit = list(fake.world.updates)[-2:]
    fake.world.updates.clear()
    for update in (edit, message):
        intake.receive(update, source="webhook")
        intake.apply(update["update_id"])
    settle()
    assert list(Message.objects.filter(ticket=ticket, kind=Message.Kind.REPLY).values_list("body", flat=True)) == [
        "Coba versi 2411."]
    assert "Coba versi 2411." in fake.bot_texts(operator["id"])[-1]


def test_a_held_message_edited_while_it_waits_is_offered_as_edited(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    _budi, group, _operator = group_and_operator(fake, world)
    world.ticket()
    settle()
    card, topic = card_of(fake, group)
    newcomer = fake.create_user("Relawan Baru", "baru")
    fake.add_member(group, newcomer["id"])
    sent = fake.user_sends(group, newcomer["id"], "Jawaban awal", thread_id=topic, reply_to=card["message_id"])
    fake.user_edits(group, sent["message_id"], "Jawaban yang sudah diperbaiki")
    step(fake)
    fake.create_private_chat(newcomer["id"])
    linking.link_account(user=world.vol2_lotim, telegram_user_id=newcomer["id"])
    settle()
    offer = fake.bot_messages(newcomer["id"])[-1]
    assert "Jawaban yang sudah diperbaiki" in offer["text"] and "Jawaban awal" not in offer["text"]
    send = offer["reply_markup"]["inline_keyboard"][0][0]
    fake.press_button(newcomer["id"], offer["message_id"], newcomer["id"], send["callback_data"])
    step(fake)
    settle()
    assert Message.objects.filter(body="Jawaban yang sudah diperbaiki").exists()
    assert not Message.objects.filter(body="Jawaban awal").exists()


def test_private_commands_in_a_group_are_answered_only_when_addressed_to_the_bot(
        bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    budi, group, _operator = group_and_operator(fake, world)
    fake.reset_log()
    fake.user_sends(group, budi["id"], "/start")  # the group's other bots have /start and /status too
    fake.user_sends(group, budi["id"], "/status")
    step(fake)
    assert sends(fake, group) == []
    fake.user_sends(group, budi["id"], "/status@sid_helpdesk_bot NTB-000001")
    step(fake)
    assert fake.bot_texts(group)[-1] == "Perintah /status hanya bisa dipakai di obrolan pribadi dengan bot."


def test_a_video_in_a_tickets_topic_is_not_dropped_without_a_word(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    budi, group, _operator = group_and_operator(fake, world)
    ticket = world.ticket()
    settle()
    card, topic = card_of(fake, group)
    world_ = fake.world
    video = {"file_id": "BAACvideo1", "file_unique_id": "AgADvideo1", "width": 720, "height": 1280, "duration": 12,
             "mime_type": "video/mp4", "file_size": 2_000_000}
    for caption in ("Rekaman layar saat impor", None):
        content = {"video": video, "message_thread_id": topic, "is_topic_message": True,
                   "reply_to_message": {k: v for k, v in card.items() if k != "reply_to_message"}}
        if caption:
            content["caption"] = caption
        with world_.lock:
            message = world_.new_message(world_.chat(group), world_.user(budi["id"]), **content)
            world_.push_update("message", message)
    step(fake)
    answers = [t for t in fake.bot_texts(group, thread_id=topic) if "Video dan audio" in t]
    assert answers == [f"Video dan audio tidak bisa dilampirkan ke tiket {ticket.number}. Kirim tangkapan layar "
                       "(foto), PDF, teks/log, atau ZIP."] * 2
    assert list(Message.objects.filter(ticket=ticket, kind=Message.Kind.REPLY).values_list("body", flat=True)) == [
        "Rekaman layar saat impor"], "the caption still reaches the operator"


def test_a_video_in_a_private_chat_gets_the_plain_answer(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    _budi, _group, operator = group_and_operator(fake, world)
    ticket = world.ticket()
    settle()
    services.message_create(ticket=Ticket.objects.get(pk=ticket.pk), author=world.vol_lotim, body="Coba lagi.")
    settle()
    notice = fake.bot_messages(operator["id"])[-1]
    world_ = fake.world
    video = {"file_id": "BAACvideo2", "file_unique_id": "AgADvideo2", "width": 720, "height": 1280, "duration": 9,
             "mime_type": "video/mp4", "file_size": 1_500_000}
    with world_.lock:
        chat, person = world_.chat(operator["id"]), world_.user(operator["id"])
        quoted = {k: v for k, v in notice.items() if k != "reply_to_message"}
        world_.push_update("message", world_.new_message(chat, person, video=video, reply_to_message=quoted))
        world_.push_update("message", world_.new_message(chat, person, video=video))
    step(fake)
    assert fake.bot_texts(operator["id"])[-2:] == [
        "Maaf, bot belum bisa membaca stiker, pesan suara atau video. Tulis pesan teks, atau ketik /bantuan."] * 2
    assert Message.objects.filter(ticket=ticket).exclude(kind=Message.Kind.SYSTEM).count() == 1


def plain_group_with_card(fake: FakeTelegram, world: World) -> tuple[dict[str, Any], int, Ticket, dict[str, Any]]:
    """Budi, linked, in the Lotim forum's plain group (no topics), and a new ticket's card there:
    (budi, group, ticket, card)."""
    budi = fake.create_user("Budi", "budi")
    group = fake.create_group("ForSID Lotim", members=[budi["id"]])
    world.lotim.telegram_chat_id = group
    world.lotim.save(update_fields=["telegram_chat_id"])
    linking.link_account(user=world.vol_lotim, telegram_user_id=budi["id"])
    ticket = world.ticket()
    settle()
    return budi, group, ticket, fake.bot_messages(group)[0]

def test_a_reply_to_a_card_whose_sending_is_not_recorded_yet_waits_and_lands(
        bridge: FakeTelegram, world: World) -> None:
    """A volunteer answers the card the instant it appears, before the worker that sent it has committed its
    record (a busy machine): the reply waits and lands on the ticket, instead of being taken as about nothing."""
    from bots import intake
    from bots.models import SentPart

    fake = bridge
    budi, group, ticket, root = plain_group_with_card(fake, world)
    record = SentPart.objects.get(chat_id=group, message_id=root["message_id"])
    fields = {"outbound_id": record.outbound_id, "part": record.part, "chat_id": group,
              "message_id": record.message_id, "thread_id": record.thread_id}
    record.delete()  # as if the worker were still between Telegram's answer and its commit

    fake.user_sends(group, budi["id"], "Coba impor ulang dengan format .xlsx", reply_to=root["message_id"])
    step(fake)
    waiting = TelegramUpdate.objects.get(chat_id=group, kind="message", from_user_id=budi["id"])
    assert waiting.state == TelegramUpdate.State.RECEIVED and "not recorded yet" in waiting.last_error
    assert not Message.objects.filter(ticket=ticket, body__contains=".xlsx").exists()

    SentPart.objects.create(**fields)  # the worker commits
    intake.apply_pending()
    assert Message.objects.filter(ticket=ticket, body="Coba impor ulang dengan format .xlsx").count() == 1
    waiting.refresh_from_db()
    assert waiting.state == TelegramUpdate.State.APPLIED and waiting.attempts == 1


def test_a_reply_to_an_old_bot_message_that_is_no_ticket_is_not_kept_waiting(
        bridge: FakeTelegram, world: World) -> None:
    from bots.models import SentPart

    fake = bridge
    budi, group, _ticket, root = plain_group_with_card(fake, world)
    SentPart.objects.filter(chat_id=group, message_id=root["message_id"]).delete()
    with fake.world.lock:  # sent ten minutes ago: long recorded, or never ours
        fake.world.chat(group).messages[root["message_id"]]["date"] -= 600
    fake.user_sends(group, budi["id"], "Ini pesan lama", reply_to=root["message_id"])
    step(fake)
    update = TelegramUpdate.objects.get(chat_id=group, kind="message", from_user_id=budi["id"])
    assert update.state != TelegramUpdate.State.RECEIVED
