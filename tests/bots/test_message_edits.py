"""Issue 20, end to end through the fake Bot API with the real python-telegram-bot client: an edited Telegram
message changes the ticket message it became (within the window), the copies relayed of a changed reply follow,
and the English "/" menu is in English."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bots import builtin, handlers
from helpdesk.tickets.models import Message, TicketEvent
from tests.bots.conftest import settle
from tests.bots.test_group_rules import card_of, group_and_operator, messages
from tests.bots.test_ticket_bridge import file_ticket, step
from tests.fake_telegram import FakeTelegram
from tests.tickets import conftest as tickets_conftest
from tests.tickets.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)

world = tickets_conftest.world


def test_an_edit_changes_the_reply_or_note_it_became_and_the_copies_follow(bridge: FakeTelegram,
                                                                           world: World) -> None:
    fake = bridge
    budi, group, operator = group_and_operator(fake, world)
    ticket = file_ticket(world)
    settle()
    card, topic = card_of(fake, group)
    answer = fake.user_sends(group, budi["id"], "Versi berapa, Pak?", thread_id=topic, reply_to=card["message_id"])
    chatter = fake.user_sends(group, budi["id"], "wkwk siapa yang pernah", thread_id=topic)
    step(fake)
    settle()
    copy = fake.bot_messages(operator["id"])[-1]
    assert "Versi berapa, Pak?" in copy["text"], "the operator got the reply privately"

    # Both edits land in the ticket (a reply and an internal note), quietly: nothing more in the group.
    in_group = len(fake.bot_messages(group))
    fake.user_edits(group, answer["message_id"], "Versi OpenSID berapa, Pak?")
    fake.user_edits(group, chatter["message_id"], "wkwk siapa yang pernah ketemu ini?")
    step(fake)
    settle()
    assert messages(ticket) == [("reply", "Versi OpenSID berapa, Pak?"),
                                ("internal", "wkwk siapa yang pernah ketemu ini?")]
    assert len(fake.bot_messages(group)) == in_group, "a saved edit adds nothing to the group"
    audit = TicketEvent.objects.filter(ticket=ticket, action="message_edited").order_by("pk")
    assert [(e.note, e.channel, e.actor_id) for e in audit] == [
        ("Versi berapa, Pak?", "telegram", world.vol_lotim.pk), ("wkwk siapa yang pernah", "telegram", world.vol_lotim.pk)]
    # The operator's copy now reads the new text, marked as edited.
    copy = next(m for m in fake.bot_messages(operator["id"]) if m["message_id"] == copy["message_id"])
    assert "Versi OpenSID berapa, Pak?" in copy["text"] and "disunting" in copy["text"]
    web = Client()
    web.force_login(world.op_a)
    page = web.get(ticket.get_absolute_url()).content.decode()
    assert "Versi OpenSID berapa, Pak?" in page and "disunting" in page

    # A command's edit keeps what the command means: the text after /balas.
    command = fake.user_sends(group, budi["id"], "/balas Sudah dicoba impor ulang?", thread_id=topic)
    step(fake)
    fake.user_edits(group, command["message_id"], "/balas Sudah dicoba impor ulang dengan berkas baru?")
    step(fake)
    assert messages(ticket)[-1] == ("reply", "Sudah dicoba impor ulang dengan berkas baru?")

    # The operator answers privately and corrects it: the copy in the group's topic follows.
    own = fake.user_sends(operator["id"], operator["id"], "Versi 2410.", reply_to=copy["message_id"])
    step(fake)
    settle()
    relayed = fake.bot_messages(group, thread_id=topic)[-1]
    assert "Versi 2410." in relayed["text"]
    fake.user_edits(operator["id"], own["message_id"], "Versi 2410.0.0, hosting sendiri.")
    step(fake)
    settle()
    assert messages(ticket)[-1] == ("reply", "Versi 2410.0.0, hosting sendiri.")
    relayed = next(m for m in fake.bot_messages(group, thread_id=topic) if m["message_id"] == relayed["message_id"])
    assert "Versi 2410.0.0, hosting sendiri." in relayed["text"] and "disunting" in relayed["text"]

    # After the window the ticket keeps its text, and the volunteer is told why, quietly.
    Message.objects.filter(ticket=ticket, body="Versi OpenSID berapa, Pak?").update(
        created_at=timezone.now() - timedelta(minutes=11))
    fake.user_edits(group, answer["message_id"], "Versi OpenSID dan PHP berapa, Pak?")
    step(fake)
    told = fake.bot_messages(group, thread_id=topic)[-1]
    assert "10 menit" in told["text"] and "pesan baru" in told["text"]
    assert fake.requests("sendMessage", 200)[-1].get("disable_notification"), "quietly"
    assert ("reply", "Versi OpenSID berapa, Pak?") in messages(ticket)
    assert TicketEvent.objects.filter(ticket=ticket, action="message_edited").count() == 4


def test_the_english_menu_is_english(bridge: FakeTelegram, world: World) -> None:
    fake = bridge
    # Commands other test modules register for themselves (tests/bots/test_intake.py), with Indonesian help only.
    test_commands = {name for name, c in handlers._COMMANDS.items() if c.fn.__module__.startswith("tests.")}
    assert builtin.publish_commands() == 6
    for scope in ('{"type": "all_private_chats"}', '{"type": "all_group_chats"}',
                  '{"type": "all_chat_administrators"}'):
        indonesian = {c["command"]: c["description"] for c in fake.world.commands[f"{scope}|"]}
        english = {c["command"]: c["description"] for c in fake.world.commands[f"{scope}|en"]}
        assert set(english) == set(indonesian), scope
        same = sorted(name for name in english if english[name] == indonesian[name] and name not in test_commands)
        assert not same, f"{scope}: these English descriptions are still Indonesian: {same}"
    groups = {c["command"]: c["description"] for c in fake.world.commands['{"type": "all_group_chats"}|en']}
    assert groups["balas"] == "reply to the village operator: /balas <text>"
