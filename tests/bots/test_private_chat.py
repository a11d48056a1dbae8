"""Issue 10 end to end through the fake Bot API: an operator links, follows and answers their ticket in a private
chat, searches the knowledge base, files a ticket with /baru; internal notes and other villages' tickets never
reach a private chat; people without an account get a pointer, and a flood is cut off."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from bots import linking, private_chat
from bots.polling import Poller
from helpdesk.accounts.models import User
from helpdesk.notifications.services import notify
from helpdesk.tickets import services
from helpdesk.tickets.models import Ticket
from tests.bots.conftest import settle
from tests.fake_telegram import FakeTelegram, image_bytes
from tests.kb.conftest import publish
from tests.tickets import conftest as tickets_conftest
from tests.tickets.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)

world = tickets_conftest.world


def as_user(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=User.objects.get(pk=user.pk))
    return client


def step() -> None:
    Poller(poll_timeout=0).poll_once()
    settle()


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def test_operator_follows_and_answers_a_ticket_in_private(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    tg = fake.create_user("Operator", "op_tanjung")
    token = as_user(world.op_a).post("/api/v1/me/telegram-link/").json()["token"]
    fake.user_starts_bot(tg["id"], token)
    step()
    assert "tertaut" in fake.bot_texts(tg["id"])[-1]
    # The token works once.
    fake.user_sends(tg["id"], tg["id"], f"/start {token}")
    step()
    assert "sudah dipakai atau kedaluwarsa" in fake.bot_texts(tg["id"])[-1]

    ticket = world.ticket(title="Gagal impor data penduduk")
    other = world.ticket(reporter=world.op_bima, title="Rahasia desa lain")
    settle()
    before = len(fake.bot_texts(tg["id"]))
    services.message_create(ticket=ticket, author=fresh(world.vol_lotim), body="Sudah dicoba impor ulang, Pak?")
    services.message_create(ticket=Ticket.objects.get(pk=ticket.pk), author=fresh(world.vol_lotim),
                            body="CATATAN-RAHASIA operator ini lupa sandi", internal=True)
    services.message_create(ticket=other, author=fresh(world.vol_bima), body="Jawaban untuk desa lain")
    # Even a notification that names someone else's ticket is not sent to the chat.
    notify(user=fresh(world.op_a), event="ticket_reply", text="x", ticket_id=other.pk)
    settle()
    received = fake.bot_messages(tg["id"])[before:]
    assert len(received) == 1
    assert "Sudah dicoba impor ulang" in received[0]["text"] and ticket.number in received[0]["text"]
    everything = " ".join(fake.bot_texts(tg["id"]))
    assert "CATATAN-RAHASIA" not in everything and "desa lain" not in everything

    # The operator replies to the bot's message, with text and then a photo: both reach the ticket.
    fake.user_sends(tg["id"], tg["id"], "Sudah, tetap gagal.", reply_to=received[0]["message_id"])
    fake.user_sends(tg["id"], tg["id"], photo=image_bytes(), reply_to=received[0]["message_id"])
    step()
    assert "Balasan terkirim ke tiket" in fake.bot_texts(tg["id"])[-1]
    # A message that points at no ticket gets a menu, and is kept until a ticket is chosen.
    loose = fake.user_sends(tg["id"], tg["id"], "Oh ya, versinya 2410.")
    step()
    menu = fake.bot_messages(tg["id"])[-1]
    choices = [b["callback_data"] for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert choices == [f"kirim:{ticket.pk}:{loose['message_id']}"], "only their own open tickets"
    fake.press_button(tg["id"], menu["message_id"], tg["id"], choices[0])
    step()

    detail = as_user(world.vol_lotim).get(f"/api/v1/tickets/{ticket.pk}/").json()
    mine = [m for m in detail["messages"] if m["kind"] == "reply" and m["author"]["username"] == "op_a"]
    assert mine[0]["body"] == "Sudah, tetap gagal."
    assert mine[-1]["body"] == "Oh ya, versinya 2410." and mine[-1]["source"] == "telegram"
    assert any(a["content_type"] == "image/png" for m in mine for a in m["attachments"])

    fake.user_sends(tg["id"], tg["id"], f"/status {ticket.number}")
    fake.user_sends(tg["id"], tg["id"], f"/status {other.number}")
    fake.user_sends(tg["id"], tg["id"], "/tiket")
    step()
    texts = fake.bot_texts(tg["id"])
    assert texts[-3].startswith(f"#{ticket.number}") and "tidak ditemukan" in texts[-2]
    assert ticket.number in texts[-1] and other.number not in texts[-1]

    fake.user_sends(tg["id"], tg["id"], "/berhenti")
    step()
    assert linking.linked_user(tg["id"]), "/berhenti asks first (issue 20)"
    question = fake.bot_messages(tg["id"])[-1]
    fake.press_button(tg["id"], question["message_id"], tg["id"], "berhenti:ya")
    step()
    assert not linking.linked_user(tg["id"])


def test_search_new_ticket_and_strangers(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    publish(world, title="Gagal impor data penduduk dari Excel", tags="impor, excel",
            question="Impor penduduk berhenti dengan galat.", answer="Potong kolom nama lalu impor ulang.")
    settle()
    stranger = fake.create_user("Warga")
    fake.create_private_chat(stranger["id"])
    group = fake.create_group("Grup warga", members=[stranger["id"]])
    fake.user_sends(stranger["id"], stranger["id"], "/cari impor penduduk")
    fake.user_sends(group, stranger["id"], "/cari impor penduduk")
    fake.user_sends(stranger["id"], stranger["id"], "Tolong bantu data saya")
    step()
    for chat in (stranger["id"], group):
        found = next(m for m in fake.bot_messages(chat) if "basis pengetahuan" in (m.get("text") or ""))
        assert "Gagal impor data penduduk dari Excel" in found["text"]
        links = [e.get("url", "") for e in found.get("entities", []) if e["type"] == "text_link"]
        assert any("/kb/" in url or "/pengetahuan/" in url or "http" in url for url in links)  # the title links
    assert "belum tertaut" in fake.bot_texts(stranger["id"])[-1]

    # /baru: suggestions first, then category, description, screenshot.
    tg = fake.create_user("Operator")
    linking.link_account(user=world.op_a, telegram_user_id=tg["id"])
    fake.create_private_chat(tg["id"])
    fake.user_sends(tg["id"], tg["id"], "/baru Impor penduduk gagal")
    step()
    texts = fake.bot_texts(tg["id"])
    assert "Mungkin sudah ada jawabannya" in texts[-2] and "Gagal impor data penduduk dari Excel" in texts[-2]
    menu = fake.bot_messages(tg["id"])[-1]
    fake.press_button(tg["id"], menu["message_id"], tg["id"], "baru-kat:kependudukan")
    step()
    fake.user_sends(tg["id"], tg["id"], "Muncul galat saat impor file Excel.")
    step()
    fake.user_sends(tg["id"], tg["id"], photo=image_bytes())
    step()
    assert "dibuat" in fake.bot_texts(tg["id"])[-1]
    ticket = Ticket.objects.get(title="Impor penduduk gagal")
    assert ticket.reporter_id == world.op_a.pk and ticket.category.slug == "kependudukan"
    assert ticket.description == "Muncul galat saat impor file Excel." and ticket.attachments.count() == 1


def test_private_flood_is_cut_off(bridge: FakeTelegram, world: World, monkeypatch: Any) -> None:
    fake = bridge
    monkeypatch.setattr(private_chat, "PRIVATE_LIMIT", 3)
    tg = fake.create_user("Pembanjir")
    fake.create_private_chat(tg["id"])
    for n in range(6):
        fake.user_sends(tg["id"], tg["id"], f"pesan {n}")
    step()
    assert len(fake.bot_texts(tg["id"])) == 3
