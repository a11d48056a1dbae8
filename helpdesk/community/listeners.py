"""How the forum follows ticket changes and contributions: listeners on `tickets.events` (registered in hooks.py),
called inside the service's transaction.

Whatever channel solved a question (the forum, the ticket page, Telegram), an accepted answer earns its author
points and makes the ticket a knowledge-base candidate; reopening takes both back. Public questions are kept in
step with search. A published knowledge-base entry earns points for its author and for whoever wrote the
accepted answer it came from.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from helpdesk.notifications.services import notify
from helpdesk.tickets import access as ticket_access
from helpdesk.tickets.extensions import Contribution
from helpdesk.tickets.models import Message, Ticket

from . import indexing, reputation
from .models import ReputationKind


def follow_tickets(kind: str, ticket: Ticket, **details: Any) -> None:
    if kind == "ticket_created":
        if ticket.is_public:
            indexing.sync_question(ticket.pk)
    elif kind in ("message_created", "message_edited"):
        if ticket.is_public and details["message"].kind == Message.Kind.REPLY:
            indexing.sync_question(ticket.pk)
    elif kind == "ticket_updated":
        changes = details.get("changes") or {}
        if "accepted_message_id" in changes:
            old, new = changes["accepted_message_id"]
            accepted_changed(ticket, old, new)
        if ticket.is_public or "visibility" in changes:
            indexing.sync_question(ticket.pk)


def credit_contribution(contribution: Contribution, *, withdrawn: bool) -> None:
    if contribution.kind != "kb_entry":
        return
    if withdrawn:
        reputation.kb_entry_unpublished(user=contribution.user, entry_id=contribution.piece_id)
    else:
        reputation.kb_entry_published(
            user=contribution.user, entry_id=contribution.piece_id, forum_id=contribution.forum_id,
            region_code=contribution.region_code, ticket_id=contribution.ticket_id,
        )


def accepted_key(ticket_id: int, message_id: int) -> str:
    return f"accepted:{ticket_id}:{message_id}"


def accepted_changed(ticket: Ticket, old: int | None, new: int | None) -> None:
    if old:
        reputation.retract(accepted_key(ticket.pk, old))
    if new:
        message = Message.objects.select_related("author").filter(pk=new).first()
        author = message.author if message is not None else None
        # Points are for helping someone else: not for the asker's own desa answering itself.
        if author is not None and author.pk != ticket.reporter_id and not ticket_access.is_desa_side(author, ticket):
            credited = reputation.award(
                user=author, kind=ReputationKind.ACCEPTED, key=accepted_key(ticket.pk, new),
                forum_id=ticket.forum_id, region_code=reputation.region_for(author, ticket.desa_id),
                ticket_id=ticket.pk, message_id=new,
            )
            if credited:
                notify(
                    user=author,
                    event="forum_answer_accepted",
                    text=_("Jawaban Anda di %(n)s diterima: %(t)s (+%(p)d poin)")
                    % {"n": ticket.number, "t": ticket.title, "p": reputation.POINTS[ReputationKind.ACCEPTED]},
                    url=f"/forum/pertanyaan/{ticket.number}/" if ticket.is_public else ticket.get_absolute_url(),
                    ticket_id=ticket.pk,
                    group_key=f"ticket:{ticket.pk}",
                )
    candidate = bool(new)
    if ticket.kb_candidate != candidate:
        Ticket.objects.filter(pk=ticket.pk).update(kb_candidate=candidate)
        ticket.kb_candidate = candidate
