"""Changing a reply or an internal note after it was sent: by its author, within `access.MESSAGE_EDIT_WINDOW`.

One service for every channel (the ticket page, Telegram's edited messages): the same door (`access`), the
audit trail (a `message_edited` TicketEvent keeps the text as it was), the page shows "disunting", and the
`message_edited` ticket event lets the listeners follow (realtime, search, the Telegram copies).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from helpdesk.accounts.models import User
from helpdesk.core.deadlocks import retrying
from helpdesk.core.markdown import render_markdown

from .. import access, events
from ..models import Channel, Message
from .common import check_text, lock_ticket, log_event


@retrying
def message_edit(*, message: Message, editor: User, body: str, channel: str = Channel.WEB,
                 now: datetime | None = None) -> Message:
    """Replace the text of `message`; the same text again changes nothing. Raises PermissionDenied (not the
    author, or they may no longer write on the ticket), DomainError `edit_window_closed` (too late), and
    ValidationError (empty or too long), like `message_create`."""
    body = check_text("body", body, required=True)
    with transaction.atomic():
        ticket = lock_ticket(message.ticket)
        message = Message.objects.select_for_update(of=("self",)).get(pk=message.pk)
        access.check_edit_message(editor, ticket, message, now=now)
        if body == message.body:
            return message
        if not message.is_internal:
            access.check_post(editor, ticket, body)
        previous = message.body
        message.body, message.body_html = body, render_markdown(body)
        message.edited_at = timezone.now()
        message.save(update_fields=["body", "body_html", "edited_at"])
        # The event keeps the earlier text in full, so the thread's history can be read back edit by edit.
        log_event(ticket, editor, "message_edited", old=f"#{message.pk}", new=message.kind, note=previous,
                  channel=channel)
        events.message_edited(ticket, message, previous=previous)
    return message
