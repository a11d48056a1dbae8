"""Issue 9 end to end through the fake Bot API: a forum's group is linked with /hubungkan, a ticket filed on the
web appears in its own topic (or as a message in a plain group), a volunteer links their account, claims,
answers with text and a photo, and solves it from Telegram; the API shows all of it."""

from __future__ import annotations

import io

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from bots import linking
from bots.models import TelegramUpdate
from bots.polling import Poller
from helpdesk.accounts.models import Forum, User
from helpdesk.core.uploads import check_upload
from helpdesk.regions.models import Region
from helpdesk.tickets import services
from helpdesk.tickets.models import Ticket
from tests.bots.conftest import settle
from tests.fake_telegram import FakeTelegram, image_bytes
from tests.tickets import conftest as tickets_conftest
from tests.tickets.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)

world = tickets_conftest.world  # the NTB forums, operators and volunteers


def as_user(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=User.objects.get(pk=user.pk))
    return client


def step(fake: FakeTelegram) -> None:
    """What the running bridge does: take the updates, apply them, deliver what they queued."""
    Poller(poll_timeout=0).poll_once()
    settle()


def link_via_deep_link(fake: FakeTelegram, user: User, tg_user: int) -> None:
    response = as_user(user).post("/api/v1/me/telegram-link/")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"] == f"https://t.me/sid_helpdesk_bot?start={body['token']}"
    fake.user_starts_bot(tg_user, body["token"])
    step(fake)


def file_ticket(world: World, *, screenshot: bool = False) -> Ticket:
    """As the web does: the ticket and its screenshot in one transaction."""
    with transaction.atomic():
        ticket = world.ticket(title="Gagal impor data penduduk", opensid_version="2410.0.0")
        if screenshot:
            checked = check_upload("layar.png", io.BytesIO(image_bytes()))
            services.attachment_add(ticket=ticket, actor=world.op_a, checked=checked)
    return ticket


def test_forum_supergroup_topic_claim_reply_photo_and_solve(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    coord = fake.create_user("Koordinator", "koord")
    budi = fake.create_user("Budi", "budi")
    group = fake.create_supergroup("ForSID Lotim", forum=True, members=[coord["id"], budi["id"]], bot_admin=True,
                                   can_manage_topics=True)
    fake.create_private_chat(budi["id"])

    # The coordinator links the group with a one-time code from the API.
    code = as_user(world.coord_lotim).post(f"/api/v1/forums/{world.lotim.pk}/telegram-code/").json()["code"]
    assert as_user(world.vol_lotim).post(f"/api/v1/forums/{world.lotim.pk}/telegram-code/").status_code == 403
    fake.user_sends(group, coord["id"], f"/hubungkan {code}")
    step(fake)
    assert Forum.objects.get(pk=world.lotim.pk).telegram_chat_id == group
    assert "terhubung ke forum" in fake.bot_texts(group)[-1]
    fake.user_sends(group, coord["id"], f"/hubungkan {code}")  # single use
    step(fake)
    assert "sudah dipakai" in fake.bot_texts(group)[-1]

    Region.objects.filter(code="52.03.01").update(name="Keruak")
    ticket = file_ticket(world, screenshot=True)
    settle()
    topics = fake.topics(group)
    assert [t["name"] for t in topics] == [f"#{ticket.number} Gagal impor data penduduk"]
    topic_id = topics[0]["message_thread_id"]
    in_topic = [m for m in fake.bot_messages(group, thread_id=topic_id) if "forum_topic_created" not in m]
    root = in_topic[0]
    assert "Tanjung Luar" in root["text"] and "Kec. Keruak" in root["text"] and "2410.0.0" in root["text"]
    assert "WITA" in root["text"] and f"/tiket/{ticket.number}/" in root["text"]
    assert [b["text"] for b in root["reply_markup"]["inline_keyboard"][0]] == ["Saya tangani", "Buka di web"]
    assert any(m.get("photo") for m in in_topic), "the screenshot is forwarded as a photo"

    # Budi has not linked his account: the press is held, he is told privately how to link.
    fake.press_button(group, root["message_id"], budi["id"], f"claim:{ticket.pk}")
    step(fake)
    assert TelegramUpdate.objects.filter(state="held").count() == 1
    assert linking.tell_unlinked() == 1
    settle()
    assert "belum ditautkan" in fake.bot_texts(budi["id"])[-1]

    # He links; the held press is applied: the ticket is his, and he is told so privately.
    link_via_deep_link(fake, world.vol_lotim, budi["id"])
    settle()
    assert "tertaut" in fake.bot_texts(budi["id"])[-2] and "Anda tangani" in fake.bot_texts(budi["id"])[-1]
    detail = as_user(world.op_a).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert detail["assignee"]["username"] == "vol_lotim" and detail["status"] == "ditangani"
    edited = next(m for m in fake.bot_messages(group, thread_id=topic_id) if m["message_id"] == root["message_id"])
    assert "Budi Relawan" in edited["text"]
    assert [b["text"] for b in edited["reply_markup"]["inline_keyboard"][0]] == ["Buka di web"]

    # A reply to the card in the topic, then a photo (also a reply), then /selesai quoting the answer.
    answer = fake.user_sends(group, budi["id"], "Potong kolom nama jadi 100 karakter, lalu impor ulang.",
                             thread_id=topic_id, reply_to=root["message_id"])
    fake.user_sends(group, budi["id"], photo=image_bytes(), thread_id=topic_id, reply_to=root["message_id"])
    step(fake)
    fake.user_sends(group, budi["id"], "/selesai", reply_to=answer["message_id"], thread_id=topic_id)
    step(fake)

    detail = as_user(world.op_a).get(f"/api/v1/tickets/{ticket.pk}/").json()
    replies = [m for m in detail["messages"] if m["kind"] == "reply"]
    assert replies[0]["body"].startswith("Potong kolom nama") and replies[0]["source"] == "telegram"
    assert replies[0]["author"]["username"] == "vol_lotim"
    assert len(replies[1]["attachments"]) == 1 and replies[1]["attachments"][0]["content_type"] == "image/png"
    assert detail["status"] == "selesai" and detail["accepted_message"] == replies[0]["id"]
    topic = fake.topics(group)[0]
    assert topic["closed"] and topic["name"].startswith("✅")
    # Nothing the volunteer wrote was echoed back; the op's side effects arrived once each.
    texts = fake.bot_texts(group, thread_id=topic_id)
    assert not any("Potong kolom nama" in t for t in texts)
    # State changes edit the card instead of adding lines (issue 20).
    assert not any("menangani tiket ini" in t or "status menjadi" in t for t in texts)


def test_plain_group_reply_threading_web_reply_and_refusals(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    budi = fake.create_user("Budi", "budi")
    stranger = fake.create_user("Orang", "orang")
    group = fake.create_group("ForSID Lotim", members=[budi["id"], stranger["id"]])
    # The chat id can also be set through the API.
    response = as_user(world.admin).patch(f"/api/v1/forums/{world.lotim.pk}/", {"telegram_chat_id": group},
                                          format="json")
    assert response.status_code == 200
    linking.link_account(user=world.vol_lotim, telegram_user_id=budi["id"])
    linking.link_account(user=world.op_bima, telegram_user_id=stranger["id"])

    ticket = file_ticket(world)
    settle()
    root = fake.bot_messages(group)[0]
    assert root["text"].startswith(f"#{ticket.number}")

    # Someone who is not a volunteer of this forum cannot act.
    fake.user_sends(group, stranger["id"], "Saya bantu ya", reply_to=root["message_id"])
    step(fake)
    assert "tidak bisa membalas" in fake.bot_texts(group)[-1]

    fake.user_sends(group, budi["id"], "Versi berapa yang dipakai?", reply_to=root["message_id"])
    step(fake)
    # The operator answers on the web; it shows in the group as a reply under the ticket message.
    services.message_create(ticket=Ticket.objects.get(pk=ticket.pk), author=world.op_a, body="Versi 2410, Pak.")
    settle()
    relayed = fake.bot_messages(group)[-1]
    assert "Versi 2410" in relayed["text"] and relayed["reply_to_message"]["message_id"] == root["message_id"]
    # A reply to that relayed message belongs to the ticket too; /selesai with text is the accepted answer.
    fake.user_sends(group, budi["id"], "/selesai Perbarui ke 2410.1 lalu impor ulang.",
                    reply_to=relayed["message_id"])
    fake.user_sends(group, budi["id"], "/tiket " + ticket.number)
    fake.user_sends(group, budi["id"], "/antrian")
    step(fake)

    detail = as_user(world.op_a).get(f"/api/v1/tickets/{ticket.pk}/").json()
    bodies = [m["body"] for m in detail["messages"] if m["kind"] == "reply"]
    assert bodies == ["Versi berapa yang dipakai?", "Versi 2410, Pak.", "Perbarui ke 2410.1 lalu impor ulang."]
    assert detail["status"] == "selesai"
    assert detail["accepted_message"] == next(m["id"] for m in detail["messages"] if m["body"].startswith("Perbarui"))
    texts = fake.bot_texts(group)
    assert any(t.startswith(f"#{ticket.number}") and "Status: Selesai" in t and "Balasan terakhir" in t for t in texts)
    assert any("Antrean kosong" in t for t in texts)
    assert not any("status menjadi" in t for t in texts), "state changes edit the card, no extra lines"
    assert "Selesai" in fake.bot_messages(group)[0]["text"], "the ticket message is edited"


def test_profile_and_forum_pages_give_links_and_codes(bridge: FakeTelegram, world: World) -> None:
    from django.test import Client

    from bots.ticket_models import LinkCode

    web = Client()
    web.force_login(world.coord_lotim)
    assert "Tautkan Telegram" in web.get("/profil/").content.decode()
    started = web.post("/profil/telegram/").content.decode()
    assert "https://t.me/sid_helpdesk_bot?start=" in started
    token = started.split("?start=")[1].split('"')[0]
    assert not LinkCode.objects.filter(code_hash=token).exists(), "only a hash is stored"
    assert "Minta kode /hubungkan" in web.get(f"/forsid/{world.lotim.pk}/").content.decode()
    assert "/hubungkan " in web.post(f"/forsid/{world.lotim.pk}/telegram/").content.decode()
    volunteer = Client()
    volunteer.force_login(world.vol_lotim)
    assert volunteer.post(f"/forsid/{world.lotim.pk}/telegram/").status_code == 403

    # An expired token is refused with what to do; a Telegram account linked again moves, and the first user hears.
    tg = bridge.create_user("Bersama")
    LinkCode.objects.update(expires_at=timezone.now())
    bridge.user_starts_bot(tg["id"], token)
    step(bridge)
    assert "kedaluwarsa" in bridge.bot_texts(tg["id"])[-1] and "profil" in bridge.bot_texts(tg["id"])[-1]
    linking.link_account(user=world.vol_lotim, telegram_user_id=tg["id"])
    link_via_deep_link(bridge, world.vol2_lotim, tg["id"])
    assert linking.linked_user(tg["id"]).pk == world.vol2_lotim.pk
    assert linking.telegram_id_of(world.vol_lotim) is None
    assert world.vol_lotim.notifications.filter(type="telegram_link_moved").exists()


@pytest.mark.django_db
def test_a_migrated_group_keeps_its_forum_link() -> None:
    from bots import chats
    from helpdesk.accounts.models import Forum
    from tests.factories import ForumFactory

    forum = ForumFactory(name="ForSID Migrasi", slug="forsid-migrasi", telegram_chat_id=-1001)
    chats.chat_mark_migrated(-1001, -1009001)
    assert Forum.objects.get(pk=forum.pk).telegram_chat_id == -1009001


def test_replies_and_a_claim_made_before_the_ticket_reaches_the_group_are_relayed(bridge: FakeTelegram,
                                                                                world: World) -> None:
    """A reply written on the web before a worker has posted the ticket in the group (a busy or restarting
    worker) is relayed after the ticket message, once, like any other; so is a claim. The listener used to skip
    them while the ticket had no thread yet (found by `make cluster-test`)."""
    fake = bridge
    group = fake.create_group("ForSID Lotim")
    Forum.objects.filter(pk=world.lotim.pk).update(telegram_chat_id=group)
    ticket = file_ticket(world)
    services.ticket_claim(ticket=Ticket.objects.get(pk=ticket.pk), actor=world.vol_lotim)
    services.message_create(ticket=Ticket.objects.get(pk=ticket.pk), author=world.op_a, body="Versi 2410, Pak.")
    settle()
    texts = fake.bot_texts(group)
    assert texts[0].startswith(f"#{ticket.number}")
    assert sum("Versi 2410, Pak." in text for text in texts) == 1
    # The claim shows on the card (state changes edit the card instead of adding lines, issue 20).
    assert world.vol_lotim.display_name in texts[0]
    root = fake.bot_messages(group)[0]
    relayed = next(m for m in fake.bot_messages(group) if "Versi 2410" in (m.get("text") or ""))
    assert relayed["reply_to_message"]["message_id"] == root["message_id"]
