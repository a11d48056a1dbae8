"""Asking, answering's last step (accepting an answer) and comments."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from helpdesk.accounts.models import User
from helpdesk.core.errors import DomainError
from helpdesk.core.markdown import render_markdown
from helpdesk.notifications.services import notify_many
from helpdesk.tickets import access as ticket_access
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.models import (
    Channel,
    Hosting,
    Message,
    Priority,
    Status,
    Ticket,
    Visibility,
)

from .. import access, limits
from ..models import (
    Comment,
)
from .common import (
    MAX_COMMENT_CHARS,
    clean,
    question_url,
    rate,
)


@dataclass(frozen=True)
class Asked:
    ticket: Ticket
    masked: list[str]  # the kinds of personal data that were masked (NIK, PHONE, ...)


def question_ask(
    *, reporter: User, title: str, description: str = "", category: str, opensid_version: str = "",
    hosting: str = Hosting.LAINNYA, channel: str = Channel.WEB,
) -> Asked:
    """A public question is a public ticket; `ticket_create` masks personal data before anyone sees it."""
    ticket = ticket_services.ticket_create(
        reporter=reporter, title=title, description=description, category=category, priority=Priority.NORMAL,
        opensid_version=opensid_version, hosting=hosting, visibility=Visibility.PUBLIC, channel=channel,
    )
    return Asked(ticket, list(getattr(ticket, "masked_kinds", [])))


def answer_accept(*, actor: User, ticket: Ticket, message_id: int, channel: str = Channel.WEB) -> Ticket:
    """The asker (or a forum volunteer) accepts an answer: the ticket is solved through `ticket_resolve`, and the
    ticket-event listener in `listeners.py` credits the author and marks the question a knowledge-base candidate."""
    if not ticket.is_public:
        raise PermissionDenied(_("Menerima jawaban hanya untuk pertanyaan publik; tiket privat diselesaikan di halaman tiket."))
    if not (access.is_asker(actor, ticket) or ticket_access.can_triage(actor, ticket)):
        raise PermissionDenied(_("Hanya penanya atau relawan forum yang bisa menerima jawaban."))
    message = Message.objects.filter(pk=message_id, ticket=ticket, kind=Message.Kind.REPLY, is_hidden=False).first()
    if message is None:
        raise ValidationError({"message": [_("Jawaban itu bukan jawaban pada pertanyaan ini.")]})
    if ticket.accepted_message_id == message.pk and ticket.status == Status.SELESAI:
        raise DomainError(_("Jawaban ini sudah diterima."), code="already_accepted")
    return ticket_services.ticket_resolve(ticket=ticket, actor=actor, message_id=message.pk, channel=channel)


def comment_create(*, author: User, ticket: Ticket, body: str, message: Message | None = None) -> Comment:
    body = clean("body", body, max_chars=MAX_COMMENT_CHARS)
    if message is not None and (message.ticket_id != ticket.pk or message.kind != Message.Kind.REPLY):
        raise ValidationError({"message": [_("Jawaban itu bukan milik pertanyaan ini.")]})
    access.check_comment(author, ticket, message)
    rate(author, "forum_comment")
    with transaction.atomic():
        limits.check_public_post(author, ticket, body, follow_up=ticket_access.is_desa_side(author, ticket))
        comment = Comment.objects.create(
            ticket=ticket, message=message, author=author, body=body, body_html=render_markdown(body)
        )
        audience = [ticket.reporter]
        if message is not None and message.author is not None:
            audience.append(message.author)
        notify_many(
            [u for u in audience if u.pk != author.pk],
            event="forum_comment",
            text=_("%(name)s berkomentar di pertanyaan %(n)s: %(t)s")
            % {"name": author.display_name, "n": ticket.number, "t": ticket.title},
            url=f"{question_url(ticket)}#komentar-{comment.pk}",
            ticket_id=ticket.pk,
            group_key=f"ticket:{ticket.pk}",
        )
    return comment
