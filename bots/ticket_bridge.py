"""Tickets posted to the forums' Telegram groups: a topic (forum supergroup) or a root message (plain group) per
ticket, with the card, its files and the operator's public replies; every state change edits the card.

The ticket services call `events` inside their transaction; the listener here (registered in ticket_hooks.py)
only queues outbox jobs, so nothing is posted for a change that rolls back, and the jobs (after commit) see the
ticket with its attachments. The jobs queue the Telegram requests (bots.outbound), which the sender delivers in
order. What people do in the group is in ticket_group.py; how things look, in ticket_render.py.

Quiet by default (issue 20): a new ticket's card and the operator's replies notify; files, lines and
everything in a forum's quiet hours are sent without a notification; claims, status and priority changes only
edit the card; a closed topic gets nothing after it is closed.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.access import is_member_of
from helpdesk.accounts.models import Forum, User
from helpdesk.core import outbox
from helpdesk.core.models import OutboxJob
from helpdesk.regions.codes import timezone_of
from helpdesk.tickets.models import OPEN_STATUSES, Attachment, Message, Ticket

from . import chats, config
from .chats import ChatChange, on_chat_change
from .models import OutboundMessage
from .outbound import (
    MessageRef,
    TopicRef,
    telegram_close_topic,
    telegram_create_topic,
    telegram_edit_text,
    telegram_edit_topic,
    telegram_reopen_topic,
    telegram_send,
    telegram_send_album,
)
from .text import escape
from .ticket_models import ForumTelegramSettings, TicketThread
from .ticket_render import (
    DONE,
    card,
    card_buttons,
    changed_line,
    masked,
    relayed,
    sla_line,
    subject_of,
    topic_name,
)

log = logging.getLogger(__name__)

POST_KIND = "telegram.ticket_post"
MESSAGE_KIND = "telegram.ticket_message"
CHANGED_KIND = "telegram.ticket_changed"
CATCH_UP_KIND = "telegram.ticket_catch_up"
MAX_PHOTO = 10 * 1024 * 1024

# The chat a Telegram action came from: its own message is already there, so it is not echoed back.
_origin_chat: contextvars.ContextVar[int | None] = contextvars.ContextVar("telegram_origin_chat", default=None)


def origin_chat() -> int | None:
    """The chat a change came from (inside `from_chat`): it has the change already, so no copy goes back there."""
    return _origin_chat.get()


@contextmanager
def from_chat(chat_id: int) -> Iterator[None]:
    token = _origin_chat.set(chat_id)
    try:
        yield
    finally:
        _origin_chat.reset(token)


# ----- a forum's settings -----------------------------------------------------------------------------------
def forum_settings(forum_id: int | None) -> ForumTelegramSettings:
    """The forum's Telegram settings, or the defaults (an unsaved row) when it has none."""
    found = ForumTelegramSettings.objects.filter(forum_id=forum_id).first() if forum_id else None
    return found or ForumTelegramSettings()


def settings_of_chat(chat_id: int) -> ForumTelegramSettings:
    forum_id = Forum.objects.filter(telegram_chat_id=chat_id).values_list("pk", flat=True).first()
    return forum_settings(forum_id)


def in_quiet_hours(options: ForumTelegramSettings, desa_id: str) -> bool:
    start, end = options.quiet_from, options.quiet_until
    if start is None or end is None or start == end:
        return False
    now: time = timezone.now().astimezone(ZoneInfo(timezone_of(desa_id))).time()
    return start <= now < end if start < end else (now >= start or now < end)


# ----- the listener (inside the service's transaction: queue jobs only) --------------------------------------
def on_ticket_event(kind: str, ticket: Ticket, **details: Any) -> None:
    if not config.enabled():
        return
    order = f"tgticket:{ticket.pk}"
    # A ticket reaches Telegram once it has a thread, or when its forum has a group: then the post job is queued
    # (or done), and the jobs below, ordered after it by `order`, find the thread it made.
    has_threads = TicketThread.objects.filter(ticket_id=ticket.pk).exists() or chat_for(ticket.forum) is not None
    stamp = f"{timezone.now().timestamp()}"
    if kind == "ticket_created":
        if chat_for(ticket.forum):
            outbox.enqueue(POST_KIND, {"ticket": ticket.pk, "forum": ticket.forum_id},
                           key=f"{POST_KIND}:{ticket.pk}:{ticket.forum_id}", ordering_key=order)
    elif kind == "message_created" and has_threads:
        message: Message = details["message"]
        if message.kind != Message.Kind.REPLY:
            return  # internal notes stay on the web; system messages come with ticket_updated
        outbox.enqueue(MESSAGE_KIND, {"message": message.pk, "skip_chat": _origin_chat.get()},
                       key=f"{MESSAGE_KIND}:{message.pk}", ordering_key=order)
    elif kind == "ticket_updated":
        changes = {k: [_plain(v[0]), _plain(v[1])] for k, v in details["changes"].items()}
        if not has_threads and "forum_id" not in changes:
            return
        actor = details.get("actor")
        outbox.enqueue(CHANGED_KIND, {"ticket": ticket.pk, "changes": changes,
                                      "actor": getattr(actor, "pk", None)},
                       key=f"{CHANGED_KIND}:{ticket.pk}:{stamp}:{sorted(changes)}", ordering_key=order)


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, int | str | bool) else str(value)


def load_ticket(ticket_id: int) -> Ticket | None:
    return Ticket.objects.select_related("category", "desa", "forum").filter(pk=ticket_id).first()


def chat_for(forum: Forum | None) -> int | None:
    """The forum's group as it can be written to now; None while the bot is out of it (kicked or left), so that
    nobody counts on the group meanwhile (its volunteers are told privately; catch_up_job posts on return)."""
    if forum is None or not forum.telegram_chat_id or not forum.is_active:
        return None
    chat_id = chats.resolve_chat_id(forum.telegram_chat_id)
    return None if chats.chat_is_removed(chat_id) else chat_id


def where(thread: TicketThread) -> dict[str, Any]:
    """Where a message about the ticket goes in this chat: into the topic, or as a reply to the root message."""
    if thread.is_topic:
        return {"thread_id": TopicRef(thread.topic_key)}
    return {"reply_to": MessageRef(thread.root_key)}


def threads_of(ticket: Ticket) -> QuerySet[TicketThread]:
    return TicketThread.objects.filter(ticket=ticket)


# ----- jobs (after commit) --------------------------------------------------------------------------------------
def open_thread(ticket: Ticket, chat_id: int, *, note: str = "") -> TicketThread | None:
    """Post the ticket into a group (once): a topic with the card in it, or one root message; then its files."""
    existing = TicketThread.objects.filter(ticket=ticket, chat_id=chat_id).first()
    if existing is not None:
        return existing
    if chats.chat_is_removed(chat_id):
        return None
    status = chats.chat_status(chat_id)
    is_topic = bool(status and status.is_forum and status.can_manage_topics is not False)
    base = f"tk:{ticket.pk}:{chat_id}"
    subject = subject_of(ticket.pk)
    options = settings_of_chat(chat_id)
    topic_key = ""
    place: dict[str, Any] = {}
    if is_topic:
        topic = telegram_create_topic(chat_id=chat_id, name=topic_name(ticket), purpose_key=f"{base}:topic",
                                      subject=subject)
        topic_key = topic.key
        place = {"thread_id": topic}
    text = card(ticket, every_message=options.every_message_is_reply) + (
        f"\n\n<i>{escape(note)}</i>" if note else "")
    root = telegram_send(chat_id=chat_id, text=text, purpose_key=f"{base}:root", buttons=card_buttons(ticket),
                         subject=subject, silent=in_quiet_hours(options, ticket.desa_id), **place)
    thread = TicketThread.objects.create(ticket=ticket, chat_id=chat_id, is_topic=is_topic, topic_key=topic_key,
                                         root_key=root.key)
    if options.post_files:
        files = list(Attachment.objects.filter(ticket=ticket, message__isnull=True).order_by("pk"))
        send_files(thread, files, f"{base}:att", subject)
    return thread


def send_files(thread: TicketThread, attachments: list[Attachment], key: str, subject: str) -> None:
    """Files without a notification, grouped: one album of photos, one of documents (a single file goes alone)."""
    groups: dict[str, list[Attachment]] = {"photo": [], "document": []}
    for attachment in attachments:
        is_photo = attachment.is_image and attachment.size <= MAX_PHOTO
        groups["photo" if is_photo else "document"].append(attachment)
    for kind, items in groups.items():
        for start in range(0, len(items), 10):
            chunk = items[start : start + 10]
            chunk_key = f"{key}:{kind}:{chunk[0].pk}"
            if len(chunk) == 1:
                telegram_send(chat_id=thread.chat_id, text=escape(masked(chunk[0].name)), purpose_key=chunk_key,
                              subject=subject, silent=True, **{kind: chunk[0].file.name}, **where(thread))
            else:
                names = ", ".join(masked(a.name) for a in chunk)
                telegram_send_album(chat_id=thread.chat_id, files=[(kind, a.file.name) for a in chunk],
                                    caption=escape(names), purpose_key=chunk_key, subject=subject,
                                    **where(thread))


@outbox.handler(POST_KIND)
def post_job(payload: dict[str, Any], job: OutboxJob) -> None:
    ticket = load_ticket(int(payload["ticket"]))
    forum = Forum.objects.filter(pk=payload["forum"]).first()
    chat_id = chat_for(forum)
    if ticket is None or chat_id is None:
        return
    open_thread(ticket, chat_id, note=str(payload.get("note", "")))


@outbox.handler(MESSAGE_KIND)
def message_job(payload: dict[str, Any], job: OutboxJob) -> None:
    message = Message.objects.select_related("ticket", "ticket__desa", "author").filter(pk=payload["message"]).first()
    if message is None or message.kind != Message.Kind.REPLY:
        return
    ticket = message.ticket
    text = relayed(message)
    subject = subject_of(ticket.pk, message.pk)
    skip = payload.get("skip_chat")
    for thread in threads_of(ticket):
        if skip and chats.resolve_chat_id(thread.chat_id) == skip:
            continue  # written there (also when the group has since become a supergroup): not echoed back
        base = f"tk:{ticket.pk}:{thread.chat_id}:msg:{message.pk}"
        if thread.closed and thread.is_topic:
            if ticket.status in DONE:
                continue  # Telegram refuses messages in a closed topic
            reopen(thread, ticket, f"{base}:reopen")  # the reply reopened the ticket: the topic first
        options = settings_of_chat(thread.chat_id)
        telegram_send(chat_id=thread.chat_id, text=text, purpose_key=base, subject=subject,
                      silent=in_quiet_hours(options, ticket.desa_id), **where(thread))
        if options.post_files:
            send_files(thread, list(Attachment.objects.filter(message=message).order_by("pk")), f"{base}:att",
                       subject)


@outbox.handler(CHANGED_KIND)
def changed_job(payload: dict[str, Any], job: OutboxJob) -> None:
    """Edit the card (and the topic) to the ticket's state now; in order: reopen before, close after."""
    ticket = load_ticket(int(payload["ticket"]))
    if ticket is None:
        return
    changes: dict[str, list[Any]] = payload["changes"]
    subject = subject_of(ticket.pk)
    # Open or close the thread as THIS change left the ticket, not as it is by the time the job runs: a job that
    # runs late (after a retry) must not close the thread before the replies queued after it are posted.
    status = changes.get("status")
    closing = status is not None and status[1] in DONE
    reopening = status is not None and status[1] not in DONE
    closed = ticket.status in DONE
    line = changed_line(ticket, changes)
    for thread in threads_of(ticket):
        base = f"tk:{ticket.pk}:{thread.chat_id}:chg:{job.pk}"
        options = settings_of_chat(thread.chat_id)
        topic = TopicRef(thread.topic_key) if thread.is_topic else None
        if reopening and thread.closed:
            reopen(thread, ticket, f"{base}:reopen")
        if line and options.post_escalations and not closed:
            telegram_send(chat_id=thread.chat_id, text=line, purpose_key=f"{base}:note", subject=subject,
                          silent=True, **where(thread))
        edit_card(thread, ticket, options, f"{base}:edit")
        if closing and not thread.closed:  # last: the ✅ name, then the topic closes
            if topic is not None:
                telegram_edit_topic(chat_id=thread.chat_id, topic=topic, name=topic_name(ticket),
                                    purpose_key=f"{base}:rename")
                telegram_close_topic(chat_id=thread.chat_id, topic=topic, purpose_key=f"{base}:close")
            TicketThread.objects.filter(pk=thread.pk).update(closed=True)
    if "forum_id" in changes:
        chat_id = chat_for(ticket.forum)
        if chat_id is not None:
            open_thread(ticket, chat_id, note=_("Dieskalasi dari forum lain."))


@on_chat_change
def _catch_up_on_return(change: ChatChange) -> None:
    """The bot is back in a forum's group after being removed: post the open tickets that came meanwhile."""
    if change.kind != "restored" or not config.enabled():
        return
    for forum_id in Forum.objects.filter(telegram_chat_id=change.chat_id, is_active=True).values_list("pk", flat=True):
        outbox.enqueue(CATCH_UP_KIND, {"forum": forum_id}, key=f"{CATCH_UP_KIND}:{forum_id}:{timezone.now().timestamp()}",
                       ordering_key=f"{CATCH_UP_KIND}:{forum_id}")


@outbox.handler(CATCH_UP_KIND)
def catch_up_job(payload: dict[str, Any], job: OutboxJob) -> None:
    forum = Forum.objects.filter(pk=payload["forum"]).first()
    chat_id = chat_for(forum)
    if forum is None or chat_id is None:
        return
    posted = TicketThread.objects.filter(chat_id=chat_id).values("ticket_id")
    missed = (Ticket.objects.select_related("category", "desa", "forum")
              .filter(forum=forum, status__in=OPEN_STATUSES).exclude(pk__in=posted).order_by("pk"))
    for ticket in missed:
        open_thread(ticket, chat_id, note=_("Tiket ini masuk saat bot tidak ada di grup."))


def edit_card(thread: TicketThread, ticket: Ticket, options: ForumTelegramSettings, key: str) -> None:
    """Edit the card to the ticket's state now, unless it already shows exactly that (two changes in a row often
    come to the same card by the time their jobs run)."""
    text, buttons = card(ticket, every_message=options.every_message_is_reply), card_buttons(ticket)
    last = (OutboundMessage.objects.filter(chat_id=thread.chat_id, target_ref=thread.root_key,
                                           kind=OutboundMessage.Kind.EDIT).order_by("-pk").values("text", "buttons")
            .first()
            or OutboundMessage.objects.filter(key=thread.root_key).values("text", "buttons").first())
    if last is not None and last["text"] == text and last["buttons"] == buttons:
        return
    telegram_edit_text(chat_id=thread.chat_id, message=MessageRef(thread.root_key), text=text, buttons=buttons,
                       purpose_key=key, subject=subject_of(ticket.pk))


def reopen(thread: TicketThread, ticket: Ticket, key: str) -> None:
    """Open the ticket's thread again (the topic reopened and renamed without ✅), before anything is posted."""
    if thread.is_topic:
        topic = TopicRef(thread.topic_key)
        telegram_reopen_topic(chat_id=thread.chat_id, topic=topic, purpose_key=key)
        telegram_edit_topic(chat_id=thread.chat_id, topic=topic, name=topic_name(ticket), purpose_key=f"{key}:name")
    TicketThread.objects.filter(pk=thread.pk).update(closed=False)
    thread.closed = False


def post_sla(ticket_id: int, kind: str, key: str) -> set[int]:
    """An SLA warning or breach in the ticket's groups, as each forum wants it: in the group, or in the group only
    while nobody has the ticket (the assignee hears privately). Returns the chats it was posted to."""
    ticket = load_ticket(ticket_id)
    if ticket is None:
        return set()
    posted: set[int] = set()
    for thread in threads_of(ticket).filter(closed=False):
        options = settings_of_chat(thread.chat_id)
        if options.sla_warnings == ForumTelegramSettings.SlaTo.OFF:
            continue
        if options.sla_warnings == ForumTelegramSettings.SlaTo.ASSIGNEE and ticket.assignee_id:
            continue
        telegram_send(chat_id=thread.chat_id, text=sla_line(ticket, kind), purpose_key=f"{key}:{thread.chat_id}",
                      subject=subject_of(ticket_id), silent=in_quiet_hours(options, ticket.desa_id),
                      **where(thread))
        posted.add(thread.chat_id)
    return posted


def sees_ticket_in_group(user: User, ticket: Ticket) -> bool:
    """True when `user` is a volunteer of a forum whose group carries this ticket (or will: the ticket's forum
    has a group): a private message would only repeat what the group shows them."""
    forums = [ticket.forum] if ticket.forum_id else []
    chat_ids = list(threads_of(ticket).values_list("chat_id", flat=True))
    forums += list(Forum.objects.filter(telegram_chat_id__in=chat_ids)) if chat_ids else []
    return any(chat_for(forum) is not None and is_member_of(user, forum) for forum in forums if forum is not None)
