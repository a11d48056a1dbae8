"""What every community write shares: input cleaning, rate limits, the moderation log, the ticket's audit
trail, the row lock, a question's URL."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from helpdesk.accounts.models import User
from helpdesk.core import ratelimit
from helpdesk.tickets.models import (
    Channel,
    Message,
    Ticket,
    TicketEvent,
)

from ..models import (
    Comment,
    ModerationAction,
)

MAX_COMMENT_CHARS = 1000
MAX_REASON_CHARS = 300


def rate(user: User, scope: str) -> None:
    ratelimit.check(scope, user.pk)


def clean(field: str, text: str, *, required: bool = True, max_chars: int = 65536) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationError({field: [_("Wajib diisi.")]})
    if len(text) > max_chars:
        raise ValidationError({field: [_("Terlalu panjang (maks. %(n)d karakter).") % {"n": max_chars}]})
    return text


def log_action(ticket: Ticket, actor: User | None, action: str, *, message: Message | None = None,
               comment: Comment | None = None, reason: str = "", **detail: Any) -> ModerationAction:
    return ModerationAction.objects.create(
        ticket=ticket, message=message, comment=comment, actor=actor, action=action, reason=reason[:500],
        detail=detail,
    )


def ticket_event(ticket: Ticket, actor: User | None, action: str, *, old: str = "", new: str = "",
                 note: str = "") -> None:
    TicketEvent.objects.create(
        ticket=ticket, actor=actor, action=action, old=old[:200], new=new[:200], note=note, channel=Channel.WEB
    )


def lock_ticket(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).select_related("category", "desa", "forum", "reporter").get(pk=ticket.pk)


def question_url(ticket: Ticket) -> str:
    return f"/forum/pertanyaan/{ticket.number}/"


def target_name(ticket: Ticket, message: Message | None, comment: Comment | None) -> str:
    if comment is not None:
        return f"c:{comment.pk}"
    if message is not None:
        return f"m:{message.pk}"
    return f"q:{ticket.pk}"
