"""Edits, both ways: a Telegram message that became a ticket message is edited, and a ticket message that was
relayed to Telegram changes.

* In Telegram, within `MESSAGE_EDIT_WINDOW` (10 minutes, counted from when the message was sent, judged at the
  edit's own `edit_date`), an edit of a message that became a reply or an internal note changes that ticket
  message through `tickets.services.message_edit`: the same access rules as the web, audited, shown as
  "disunting" on the ticket page, live on the page and in search. It says nothing when it worked (Telegram
  shows the message as edited already); later, or when the change is refused, it answers quietly why.
* When a reply changes (from Telegram or from the web), the copies the bridge relayed of it (into the forum
  groups, into the operator's private chat) are edited to the new text, with a "disunting" mark.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpdesk.core import outbox
from helpdesk.core.errors import DomainError
from helpdesk.core.models import OutboxJob
from helpdesk.core.refusals import REFUSALS
from helpdesk.tickets import access, services
from helpdesk.tickets.models import Channel, Message, Ticket

from . import config
from .handlers import Context, edit_handler
from .linking import linked_user
from .models import OutboundMessage
from .outbound import MessageRef, telegram_edit_text
from .text import cut, escape
from .ticket_bridge import from_chat, origin_chat
from .ticket_group import refusal_text
from .ticket_models import TicketChatMessage
from .ticket_render import RELAY_BODY, masked, subject_of

EDIT_COPIES_KIND = "telegram.ticket_message_edited"
COMMAND = re.compile(r"^/\S+\s*")
EDITED_MARK = "✏️"


# ----- from Telegram into the ticket --------------------------------------------------------------------------
def _new_body(ctx: Context, message: Message) -> str:
    """The edited text as the ticket message would have it: without the command (/balas, /catatan, /selesai)
    that wrote it, and a file's name when only a file is left."""
    assert ctx.message is not None
    text = ctx.message.text or ctx.message.caption or ""
    if text.startswith("/"):
        text = COMMAND.sub("", text, count=1)
    if not text.strip() and (ctx.message.photo or ctx.message.document):
        return message.body  # the caption was removed: the "📎 name" line it had stays
    return text


def _edited_at(ctx: Context) -> datetime | None:
    return ctx.message.edit_date if ctx.message is not None else None


@edit_handler("ticket-edit")
def edited(ctx: Context) -> bool:
    """An edit of a message that became a ticket message changes it, within the window; otherwise it says why."""
    if ctx.message is None or ctx.user is None:
        return False
    mapped = (TicketChatMessage.objects.filter(chat_id=ctx.chat_id, message_id=ctx.message.message_id)
              .select_related("ticket_message").first())
    if mapped is None or mapped.ticket_message is None:
        return False
    message = mapped.ticket_message
    first = (TicketChatMessage.objects.filter(chat_id=ctx.chat_id, ticket_message=message)
             .order_by("message_id").values_list("message_id", flat=True).first())
    if first != ctx.message.message_id:
        return False  # a later file of an album: its caption was never the text of the ticket message
    user = linked_user(ctx.user.id)
    if user is None:
        return False
    try:
        with from_chat(ctx.chat_id):  # the copies elsewhere follow; this chat has the edit already
            services.message_edit(message=message, editor=user, body=_new_body(ctx, message),
                                  channel=Channel.TELEGRAM, now=_edited_at(ctx))
    except DomainError as exc:
        if exc.code != "edit_window_closed":
            raise
        minutes = int(access.MESSAGE_EDIT_WINDOW.total_seconds() // 60)
        ctx.reply(ngettext("✏️ Perubahan ini tidak disimpan di tiket: pesan hanya bisa diubah dalam %(n)d menit "
                           "setelah dikirim. Kirim koreksinya sebagai pesan baru.",
                           "✏️ Perubahan ini tidak disimpan di tiket: pesan hanya bisa diubah dalam %(n)d menit "
                           "setelah dikirim. Kirim koreksinya sebagai pesan baru.", minutes) % {"n": minutes},
                  parse_mode=None, silent=True)
    except REFUSALS as exc:
        ctx.reply(_("✏️ Perubahan ini tidak disimpan di tiket: %(why)s") % {"why": refusal_text(exc)},
                  parse_mode=None, silent=True)
    return True


# ----- from the ticket to the copies in Telegram ----------------------------------------------------------------
def on_ticket_event(kind: str, ticket: Ticket, **details: Any) -> None:
    """A listener on ticket events (inside the service's transaction): a changed reply queues the edit of its
    relayed copies, ordered after the job that relayed it."""
    if kind != "message_edited" or not config.enabled():
        return
    message: Message = details["message"]
    if message.kind != Message.Kind.REPLY:
        return  # internal notes are never relayed
    stamp = f"{message.edited_at.timestamp() if message.edited_at else 0}"
    outbox.enqueue(EDIT_COPIES_KIND, {"message": message.pk, "previous": details["previous"], "stamp": stamp,
                                      "skip_chat": origin_chat()},
                   key=f"{EDIT_COPIES_KIND}:{message.pk}:{stamp}", ordering_key=f"tgticket:{ticket.pk}")


def renderings(body: str) -> list[str]:
    """How a reply's text appears in the copies: masked in groups (`relayed`), as it is in private chats."""
    return [escape(cut(masked(body), RELAY_BODY)), escape(cut(body, 3000))]


def edited_copy(text: str, previous: str, body: str) -> str | None:
    """The copy's text with the reply's new text in place of the old one; None if the old text is not in it."""
    for old, new in zip(renderings(previous), renderings(body), strict=True):
        if old and old in text:
            changed = text.replace(old, new, 1)
            mark = f"<i>{EDITED_MARK} {escape(_('disunting'))}</i>"
            return changed if mark in changed else f"{changed}\n{mark}"
    return None


def latest_text(copy: OutboundMessage) -> str:
    """The copy as Telegram shows it now: the last edit of it queued, or its first text."""
    last = (OutboundMessage.objects.filter(kind=OutboundMessage.Kind.EDIT, target_ref=copy.key, chat_id=copy.chat_id)
            .order_by("-pk").values_list("text", flat=True).first())
    return last if last is not None else copy.text


@outbox.handler(EDIT_COPIES_KIND)
def edit_copies_job(payload: dict[str, Any], job: OutboxJob) -> None:
    message = Message.objects.filter(pk=payload["message"]).first()
    if message is None or message.kind != Message.Kind.REPLY:
        return
    subject = subject_of(message.ticket_id, message.pk)
    copies = (OutboundMessage.objects.filter(subject=subject, kind=OutboundMessage.Kind.MESSAGE)
              .exclude(chat_id=payload.get("skip_chat") or 0)
              .exclude(state__in=[OutboundMessage.State.FAILED, OutboundMessage.State.SKIPPED]).order_by("pk"))
    for copy in copies:
        text = edited_copy(latest_text(copy), str(payload["previous"]), message.body)
        if text is None:
            continue
        telegram_edit_text(chat_id=copy.chat_id, message=MessageRef(copy.key), text=text, subject=subject,
                           purpose_key=f"{copy.key}:edit:{payload['stamp']}")
