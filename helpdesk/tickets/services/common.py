"""The steps every ticket write shares: input checks, the audit trail, the row lock, status moves through
`lifecycle`, and the change event that fans out after them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.translation import gettext as _

from helpdesk.accounts.models import User
from helpdesk.categories.models import Category
from helpdesk.categories.selectors import active_category_by_slug

from .. import events, lifecycle
from ..models import (
    Channel,
    Message,
    Ticket,
    TicketEvent,
)

MAX_TEXT_BYTES = 64 * 1024


def check_text(field: str, text: str, *, required: bool = False) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationError({field: [_("Wajib diisi.")]})
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise ValidationError({field: [_("Terlalu panjang (maks. 64 KB).")]})
    return text


def check_choice(field: str, value: str, choices: Iterable[str]) -> str:
    if value not in set(choices):
        raise ValidationError({field: [_("Nilai %(value)s tidak dikenal.") % {"value": value}]})
    return value


def active_category(slug: str) -> Category:
    category = active_category_by_slug(slug)
    if category is None:
        raise ValidationError({"category": [_("Kategori %(slug)s tidak dikenal.") % {"slug": slug}]})
    return category


def log_event(ticket: Ticket, actor: User | None, action: str, *, old: str = "", new: str = "", note: str = "",
              channel: str = Channel.SYSTEM) -> None:
    TicketEvent.objects.create(
        ticket=ticket, actor=actor, action=action, old=str(old)[:200], new=str(new)[:200], note=note, channel=channel
    )


def system_message(ticket: Ticket, text: str, actor: User | None = None) -> Message:
    return Message.objects.create(
        ticket=ticket, kind=Message.Kind.SYSTEM, author=actor, body=text, body_html=escape(text), source=Channel.SYSTEM
    )


def lock_ticket(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock (its forum history is read again if a rule asks for it)."""
    return Ticket.objects.select_for_update(of=("self",)).select_related("category", "desa", "forum").get(pk=ticket.pk)


def set_status(ticket: Ticket, action: str, actor: User | None, channel: str) -> str:
    old = ticket.status
    ticket.status = lifecycle.next_status(action, old)
    if ticket.status != old:
        log_event(ticket, actor, "status", old=old, new=ticket.status, channel=channel)
    return old


TRACKED = ("status", "assignee_id", "priority", "category_id", "forum_id", "visibility", "accepted_message_id")


def snapshot(ticket: Ticket) -> dict[str, Any]:
    return {field: getattr(ticket, field) for field in TRACKED}


def emit_changes(ticket: Ticket, before: dict[str, Any], actor: User | None) -> None:
    changes = {f: (before[f], getattr(ticket, f)) for f in TRACKED if before[f] != getattr(ticket, f)}
    if changes:
        events.ticket_updated(ticket, changes, actor)


def display_name(user: User | None) -> str:
    return user.display_name if user is not None else _("Sistem")
