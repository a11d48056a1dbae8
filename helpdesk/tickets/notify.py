"""Who hears about what happens to a ticket. A listener on `events.py` (registered in hooks.py); runs inside
the transaction."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from helpdesk.accounts.models import ForumMembership, User
from helpdesk.notifications.services import notify, notify_many

from . import access
from .models import Message, Status, Ticket


def _group(ticket: Ticket) -> str:
    return f"ticket:{ticket.pk}"


def _common(ticket: Ticket) -> dict[str, Any]:
    return {"url": ticket.get_absolute_url(), "ticket_id": ticket.pk, "group_key": _group(ticket)}


def _watchers(ticket: Ticket) -> list[User]:
    return list(ticket.watchers.filter(is_active=True))


def _volunteers(forum_id: int) -> list[User]:
    # No DISTINCT (a sort of every column, in every filing): a person has one membership per forum
    # (membership_unique), so the join gives each person once.
    return list(User.objects.filter(memberships__forum_id=forum_id, memberships__is_active=True, is_active=True))


def coordinators(forum_id: int) -> list[User]:
    return list(
        User.objects.filter(
            memberships__forum_id=forum_id,
            memberships__is_active=True,
            memberships__role=ForumMembership.Role.COORDINATOR,
            is_active=True,
        ).distinct()
    )


def on_ticket_event(kind: str, ticket: Ticket, **details: Any) -> None:
    if kind == "ticket_created":
        _created(ticket)
    elif kind == "message_created":
        _message(ticket, details["message"])
    elif kind == "ticket_updated":
        _updated(ticket, details["changes"], details.get("actor"))


def _created(ticket: Ticket) -> None:
    if ticket.assignee_id:
        notify(user=ticket.assignee, event="ticket_assigned",  # type: ignore[arg-type]
               text=_("Tiket %(n)s menunggu Anda: %(t)s") % {"n": ticket.number, "t": ticket.title}, **_common(ticket))
        return
    notify_many(
        [u for u in _volunteers(ticket.forum_id) if u.pk != ticket.reporter_id],
        event="ticket_new",
        text=_("Tiket baru %(n)s di %(f)s: %(t)s") % {"n": ticket.number, "f": ticket.forum.name, "t": ticket.title},
        **_common(ticket),
    )


def _message(ticket: Ticket, message: Message) -> None:
    author = message.author
    name = author.display_name if author else _("Sistem")
    text = _("%(name)s membalas tiket %(n)s: %(t)s") % {"name": name, "n": ticket.number, "t": ticket.title}
    audience: list[User] = []
    if ticket.reporter_id != (author.pk if author else None):
        audience.append(ticket.reporter)
    if ticket.assignee_id and ticket.assignee_id != (author.pk if author else None):
        audience.append(ticket.assignee)  # type: ignore[arg-type]
    audience += [w for w in _watchers(ticket) if w.pk != (author.pk if author else None)]
    if message.kind == Message.Kind.INTERNAL:
        audience = [u for u in audience if access.can_see_internal(u, ticket)]
        text = _("%(name)s menambah catatan internal di %(n)s") % {"name": name, "n": ticket.number}
    notify_many(audience, event="ticket_reply", text=text, **_common(ticket))


def _updated(ticket: Ticket, changes: dict[str, Any], actor: Any) -> None:
    actor_id = getattr(actor, "pk", None)
    # "menunggu" comes with a reply, which is already notified.
    if "status" in changes and changes["status"][1] in (Status.SELESAI, Status.DITUTUP, Status.DUPLIKAT):
        new = Status(changes["status"][1]).label
        audience = [ticket.reporter, *_watchers(ticket)]
        notify_many(
            [u for u in audience if u.pk != actor_id and access.can_see(u, ticket)],
            event="ticket_status",
            text=_("Status tiket %(n)s menjadi %(s)s") % {"n": ticket.number, "s": str(new).lower()},
            **_common(ticket),
        )
    if "assignee_id" in changes and ticket.assignee_id and ticket.assignee_id != actor_id:
        notify(user=ticket.assignee, event="ticket_assigned",  # type: ignore[arg-type]
               text=_("Tiket %(n)s diserahkan kepada Anda: %(t)s") % {"n": ticket.number, "t": ticket.title},
               **_common(ticket))
