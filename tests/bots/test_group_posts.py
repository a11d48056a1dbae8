"""Issue 20, the points the first round of tests left out, end to end through the fake: files reach the group as
one album (sendMediaGroup) and a volunteer's album reaches the operator as one reply and one private message; a
forum's `post_files` and `post_escalations` settings change what is posted; /help and /batal answer; the words
people see ("Contoh:", no "Balas (reply)", no "(zip bomb)")."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.db import transaction

from bots import linking
from bots.ticket_models import ForumTelegramSettings
from helpdesk.core.uploads import check_upload
from helpdesk.tickets import escalation, services
from helpdesk.tickets.models import Message, Ticket
from tests.bots.conftest import settle
from tests.bots.test_group_rules import card_of, forum_group, group_and_operator
from tests.bots.test_ticket_bridge import step
from tests.fake_telegram import FakeTelegram, image_bytes
from tests.tickets import conftest as tickets_conftest
from tests.tickets.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)

world = tickets_conftest.world

SEND_METHODS = {"sendmessage", "sendphoto", "senddocument", "sendmediagroup"}


def sent_to(fake: FakeTelegram, chat_id: int, since: int = 0) -> list[dict[str, Any]]:
    """The successful sends to one chat, from the request log (position `since` on)."""
    return [r for r in fake.requests()[since:]
            if r["method"] in SEND_METHODS and r["status"] == 200 and str(r.get("chat_id")) == str(chat_id)]


def file_ticket_with(world: World, *names_and_bytes: tuple[str, bytes]) -> Ticket:
    """As the web does: the ticket and its files in one transaction."""
    with transaction.atomic():
        ticket = world.ticket(title="Gagal impor data penduduk", opensid_version="2410.0.0")
        for name, data in names_and_bytes:
            services.attachment_add(ticket=ticket, actor=world.op_a, checked=check_upload(name, io.BytesIO(data)))
    return ticket


def operator_reply(world: World, ticket: Ticket, body: str, *files: tuple[str, bytes]) -> Message:
    with transaction.atomic():
        fresh = Ticket.objects.get(pk=ticket.pk)
        message = services.message_create(ticket=fresh, author=world.op_a, body=body)
        for name, data in files:
            services.attachment_add(ticket=fresh, actor=world.op_a, message=message,
                                    checked=check_upload(name, io.BytesIO(data)))
    return message


SCREENSHOTS = [("layar1.png", image_bytes("red")), ("layar2.png", image_bytes("blue")),
               ("layar3.png", image_bytes("green"))]


def test_files_go_to_the_group_as_one_album_and_an_album_reaches_the_operator_once(bridge: FakeTelegram,
                                                                                    world: World) -> None:
    fake = bridge
    budi, group, operator = group_and_operator(fake, world)
    settle()

    # Filed on the web with three screenshots: the card, then one silent album of three photos in the topic.
    since = len(fake.requests())
    ticket = file_ticket_with(world, *SCREENSHOTS)
    settle()
    card, topic = card_of(fake, group)
    posted = sent_to(fake, group, since)
    assert [r["method"] for r in posted] == ["sendmessage", "sendmediagroup"], posted
    album = posted[1]
    assert len(album["message_ids"]) == 3 and album["disable_notification"]
    photos = [m for m in fake.bot_messages(group, thread_id=topic) if m["message_id"] in album["message_ids"]]
    assert len(photos) == 3 and all(m.get("photo") for m in photos)
    assert len({m["media_group_id"] for m in photos}) == 1, "one album, not three photos"
    assert "layar1.png, layar2.png, layar3.png" in photos[0]["caption"]

    # The operator answers on the web with two documents: the reply (it notifies), then one silent album.
    since = len(fake.requests())
    operator_reply(world, ticket, "Ini log galatnya.", ("log-impor.txt", b"baris 1: galat\n"),
                   ("log-server.txt", b"baris 2: galat lagi\n"))
    settle()
    posted = sent_to(fake, group, since)
    assert [r["method"] for r in posted] == ["sendmessage", "sendmediagroup"], posted
    assert not posted[0].get("disable_notification") and posted[1]["disable_notification"]
    documents = [m for m in fake.bot_messages(group, thread_id=topic) if m["message_id"] in posted[1]["message_ids"]]
    assert [m["document"]["file_name"] for m in documents] == ["log-impor.txt", "log-server.txt"]
    relayed = next(m for m in fake.bot_messages(group, thread_id=topic) if "Ini log galatnya." in (m.get("text") or ""))

    # Budi answers with an album of three screenshots, as a reply to the operator: one reply with three files,
    # and the operator hears of it once, privately, not once per screenshot.
    since = len(fake.requests())
    fake.user_sends_album(group, budi["id"], [image_bytes("red"), image_bytes("blue"), image_bytes("green")],
                          caption="Langkah-langkahnya", thread_id=topic, reply_to=relayed["message_id"])
    step(fake)
    settle()
    replies = Message.objects.filter(ticket=ticket, author=world.vol_lotim)
    assert [(m.kind, m.body, m.attachments.count()) for m in replies] == [("reply", "Langkah-langkahnya", 3)]
    dms = sent_to(fake, operator["id"], since)
    assert len(dms) == 1, [r["method"] for r in dms]
    dm = fake.bot_texts(operator["id"])[-1]
    assert "Langkah-langkahnya" in dm and f"#{ticket.number}" in dm
    assert "Balas pesan ini untuk menjawab." in dm and "(reply)" not in dm
    assert sent_to(fake, group, since) == [], "the group has the album already: nothing is echoed back"
    assert card["message_id"] not in album["message_ids"]
    assert fake.count(status=400) == 0


def test_post_files_off_posts_no_files(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    group = forum_group(fake, world)
    ForumTelegramSettings.objects.create(forum=world.lotim, post_files=False)
    since = len(fake.requests())
    ticket = file_ticket_with(world, *SCREENSHOTS[:2])
    settle()
    _card, topic = card_of(fake, group)
    assert [r["method"] for r in sent_to(fake, group, since)] == ["sendmessage"], "the card alone"

    since = len(fake.requests())
    operator_reply(world, ticket, "Ini log galatnya.", ("log-impor.txt", b"baris 1: galat\n"))
    settle()
    posted = sent_to(fake, group, since)
    assert [r["method"] for r in posted] == ["sendmessage"], "the reply, without its file"
    assert "Ini log galatnya." in fake.bot_texts(group, thread_id=topic)[-1]

    # Switched back on (the default), the next reply's files follow it.
    ForumTelegramSettings.objects.filter(forum=world.lotim).update(post_files=True)
    since = len(fake.requests())
    operator_reply(world, ticket, "Dan tangkapan layarnya.", *SCREENSHOTS[:2])
    settle()
    assert [r["method"] for r in sent_to(fake, group, since)] == ["sendmessage", "sendmediagroup"]


@pytest.mark.parametrize("post_escalations", [True, False])
def test_post_escalations_decides_whether_the_old_group_hears_of_an_escalation(
        bridge: FakeTelegram, world: World, post_escalations: bool) -> None:
    fake = bridge
    group = forum_group(fake, world)
    ForumTelegramSettings.objects.create(forum=world.lotim, post_escalations=post_escalations)
    ticket = file_ticket_with(world)
    settle()
    card, topic = card_of(fake, group)
    escalation.escalate(Ticket.objects.get(pk=ticket.pk), escalation.FIRST)
    settle()
    assert Ticket.objects.get(pk=ticket.pk).forum_id == world.ntb.pk
    lines = [m for m in fake.bot_messages(group, thread_id=topic) if "dieskalasi" in (m.get("text") or "")]
    if post_escalations:
        assert [m["text"] for m in lines] == ["⏫ Tiket dieskalasi ke ForSID NTB."]
        [request] = [r for r in sent_to(fake, group) if r.get("message_id") == lines[0]["message_id"]]
        assert request["disable_notification"], "a line, not news: silent"
    else:
        assert lines == [], "the forum turned escalation lines off"
    assert fake.count(status=400) == 0
    assert "dieskalasi" not in card["text"]


# ----- /help, /batal and the words ------------------------------------------------------------------------------
def test_help_answers_as_bantuan_does(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    budi = fake.create_user("Budi", "budi")
    group = forum_group(fake, world, budi)
    fake.create_private_chat(budi["id"])
    for chat in (budi["id"], group):
        fake.user_sends(chat, budi["id"], "/bantuan")
        fake.user_sends(chat, budi["id"], "/help")
        step(fake)
        bantuan, help_ = fake.bot_texts(chat)[-2:]
        assert bantuan.startswith("Bantuan SID Helpdesk") and "/cari" in bantuan
        assert help_ == bantuan, chat
    assert "/baru" in fake.bot_texts(budi["id"])[-1] and "/balas" in fake.bot_texts(group)[-1]
    assert "tidak dikenal" not in " ".join(fake.bot_texts(group) + fake.bot_texts(budi["id"]))


def test_batal_cancels_what_is_running(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    tg = fake.create_user("Operator", "op_tanjung")
    fake.create_private_chat(tg["id"])
    linking.link_account(user=world.op_a, telegram_user_id=tg["id"])
    chat = tg["id"]
    fake.user_sends(chat, tg["id"], "/batal")
    step(fake)
    assert fake.bot_texts(chat)[-1] == "Tidak ada yang sedang berjalan."

    # /baru starts a dialogue; /batal ends it as its Batal button does, and the next text files nothing.
    fake.user_sends(chat, tg["id"], "/baru Gagal cetak surat")
    step(fake)
    assert "Pilih kategorinya" in fake.bot_texts(chat)[-1]
    fake.user_sends(chat, tg["id"], "/batal")
    step(fake)
    assert fake.bot_texts(chat)[-1] == "Dibatalkan."
    fake.user_sends(chat, tg["id"], "Printer tidak mau mencetak.")
    step(fake)
    assert "Pilih kategori" not in fake.bot_texts(chat)[-1]
    assert not Ticket.objects.filter(title="Gagal cetak surat").exists()


def test_words_contoh_and_no_zip_bomb(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    tg = fake.create_user("Operator", "op_tanjung")
    fake.create_private_chat(tg["id"])
    linking.link_account(user=world.op_a, telegram_user_id=tg["id"])
    fake.user_sends(tg["id"], tg["id"], "/status NTB-1 NTB-2")
    step(fake)
    wrong = fake.bot_texts(tg["id"])[-1]
    assert wrong.startswith("Contoh: /status NTB-000123") and "Pakai" not in wrong

    budi = fake.create_user("Budi", "budi")
    group = forum_group(fake, world, budi)
    linking.link_account(user=world.vol_lotim, telegram_user_id=budi["id"])
    file_ticket_with(world)
    settle()
    card, topic = card_of(fake, group)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("nol.bin", b"\x00" * (50 * 1024 * 1024))
    fake.user_sends(group, budi["id"], document=("backup.zip", bomb.getvalue(), "application/zip"),
                    thread_id=topic, reply_to=card["message_id"])
    step(fake)
    settle()
    refused = fake.bot_texts(group, thread_id=topic)[-1]
    assert refused.startswith("Arsip ZIP ditolak"), refused
    assert "zip bomb" not in refused and "file" not in refused.lower()
