"""Issue 20's measure: one ticket's whole life in a forum group, counted through the fake.

Filed with a screenshot, claimed from the group, two replies each way (the operator on the web, the volunteer
in the topic), a file from the operator, an SLA warning, solved with /selesai, closed by the operator. Counted:
the messages the bot posts to the group, how many of them notify (sent without disable_notification), and the
private messages each volunteer gets. The numbers before issue 20 are in the docstring of `test_ticket_life`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from django.db import transaction

from helpdesk.core.uploads import check_upload
from helpdesk.tickets import escalation, services
from helpdesk.tickets.models import Ticket
from tests.bots.conftest import settle
from tests.bots.test_ticket_bridge import as_user, link_via_deep_link, step
from tests.fake_telegram import FakeTelegram, image_bytes
from tests.tickets import conftest as tickets_conftest
from tests.tickets.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)

world = tickets_conftest.world

SEND_METHODS = {"sendmessage", "sendphoto", "senddocument", "sendmediagroup"}


@dataclass
class Counts:
    group_messages: int
    group_notifying: int
    dms: dict[str, int]


def _count(fake: FakeTelegram, group: int, since: int, people: dict[str, int]) -> Counts:
    sent = [r for r in fake.requests()[since:] if r["method"] in SEND_METHODS and r["status"] == 200]
    in_group = [r for r in sent if str(r.get("chat_id")) == str(group)]
    messages = sum(len(r.get("message_ids") or [1]) for r in in_group)
    notifying = sum(len(r.get("message_ids") or [1]) for r in in_group if not r.get("disable_notification"))
    dms = {name: sum(1 for r in sent if str(r.get("chat_id")) == str(tg)) for name, tg in people.items()}
    return Counts(messages, notifying, dms)


def ticket_life(fake: FakeTelegram, world: World) -> tuple[Counts, Ticket, int]:
    coord = fake.create_user("Koordinator", "koord")
    budi = fake.create_user("Budi", "budi")
    sari = fake.create_user("Sari", "sari")
    group = fake.create_supergroup("ForSID Lotim", forum=True, members=[coord["id"], budi["id"], sari["id"]],
                                   bot_admin=True, can_manage_topics=True)
    code = as_user(world.coord_lotim).post(f"/api/v1/forums/{world.lotim.pk}/telegram-code/").json()["code"]
    fake.user_sends(group, coord["id"], f"/hubungkan {code}")
    step(fake)
    link_via_deep_link(fake, world.vol_lotim, budi["id"])
    link_via_deep_link(fake, world.vol2_lotim, sari["id"])
    settle()
    since = len(fake.requests())

    with transaction.atomic():  # filed on the web with a screenshot
        ticket = world.ticket(title="Gagal impor data penduduk", opensid_version="2410.0.0")
        services.attachment_add(ticket=ticket, actor=world.op_a,
                                checked=check_upload("layar.png", io.BytesIO(image_bytes())))
    settle()
    topic_id = fake.topics(group)[0]["message_thread_id"]
    root = next(m for m in fake.bot_messages(group, thread_id=topic_id) if m.get("reply_markup"))
    fake.press_button(group, root["message_id"], budi["id"], f"claim:{ticket.pk}")
    step(fake)

    answers = []
    for n, body in enumerate(["Versi OpenSID berapa, Pak?", "Coba potong kolom nama jadi 100 karakter."]):
        fresh = Ticket.objects.get(pk=ticket.pk)
        with transaction.atomic():
            message = services.message_create(ticket=fresh, author=world.op_a, body=f"Pertanyaan {n + 1} dari desa.")
            if n == 1:  # the operator's second reply carries a file
                services.attachment_add(ticket=fresh, actor=world.op_a, message=message,
                                        checked=check_upload("galat.png", io.BytesIO(image_bytes("blue"))))
        settle()
        relayed = [m for m in fake.bot_messages(group, thread_id=topic_id) if f"Pertanyaan {n + 1}" in (
            m.get("text") or m.get("caption") or "")][-1]
        answers.append(fake.user_sends(group, budi["id"], body, reply_to=relayed["message_id"], thread_id=topic_id))
        step(fake)

    escalation.warn(Ticket.objects.get(pk=ticket.pk), escalation.RESOLUTION)
    settle()
    fake.user_sends(group, budi["id"], "/selesai", reply_to=answers[-1]["message_id"], thread_id=topic_id)
    step(fake)
    services.ticket_close(ticket=Ticket.objects.get(pk=ticket.pk), actor=world.op_a)
    settle()
    return _count(fake, group, since, {"budi": budi["id"], "sari": sari["id"]}), ticket, group


def test_ticket_life(bridge: FakeTelegram, world: World) -> None:
    """Before issue 20 (commit 0b4a834): 10 messages to the group, all 10 notifying, and one more refused with
    TOPIC_CLOSED (the close's "📌 Operator Tanjung Luar: status menjadi Ditutup." line, after /selesai had closed
    the topic; "status menjadi Selesai" itself was posted before it closed); the assignee got 5 private messages,
    the other volunteer 1. After: the card (notifies), the screenshot (silent), the operator's two replies
    (notify) and their file (silent), the answer to /selesai (silent); the claim, the status changes and the
    close only edit the card. The SLA warning goes to the assignee privately, the one private message left."""
    counts, ticket, group = ticket_life(bridge, world)
    print("ticket life:", counts)
    assert counts == Counts(group_messages=6, group_notifying=3, dms={"budi": 1, "sari": 0})
    assert bridge.count(status=400) == 0, "nothing refused (no line after the topic is closed)"
    detail = as_user(world.op_a).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert detail["status"] == "ditutup"
    assert [m["body"] for m in detail["messages"] if m["kind"] == "reply"][1::2] == [
        "Versi OpenSID berapa, Pak?", "Coba potong kolom nama jadi 100 karakter."]
    card = next(m for m in bridge.bot_messages(group) if m.get("reply_markup"))
    assert "Status: Ditutup" in card["text"] and "Saya tangani" not in str(card["reply_markup"])
