"""Tickets on the realtime streams: who may subscribe, and which events a ticket change publishes.

Streams: `ticket:{id}` (its thread and state; internal notes only for those who may read them) and
`queue:{forum_id}` (the forum's open tickets: added, claimed, removed, updated). Both are checked with the same
access functions as the API. Events are recorded in the service's transaction by `publish_ticket_events`, a
listener on `events.py` (registered in hooks.py).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from helpdesk import realtime
from helpdesk.accounts.access import AnyUser, is_admin, is_member_of
from helpdesk.accounts.models import Forum
from helpdesk.realtime import streams

from . import access
from .models import OPEN_STATUSES, Message, Ticket

# --- subscribing ---------------------------------------------------------------------------------------------


def _authorize_ticket(user: AnyUser, ticket_id: int) -> dict[str, Any] | None:
    try:
        ticket = access.access_ticket(user, ticket_id)
    except Http404:
        return None
    return {"number": ticket.number, "forum": ticket.forum_id}


def _may_read_internal(user: AnyUser, ticket_id: int) -> bool:
    try:
        ticket = access.access_ticket(user, ticket_id)
    except Http404:
        return False
    return access.can_see_internal(user, ticket)


def _authorize_queue(user: AnyUser, forum_id: int) -> dict[str, Any] | None:
    if is_member_of(user, forum_id):
        return {}
    if is_admin(user) and Forum.objects.filter(pk=forum_id).exists():
        return {}
    return None


def _presence_in_queue(facts: dict[str, Any]) -> list[str]:
    return [streams.name("queue", facts["forum"])] if facts.get("forum") else []


def _access_may_have_changed(event: dict[str, Any]) -> bool:
    changes = event["data"].get("changes") or {}
    return event["type"] == "ticket.updated" and bool({"visibility", "forum"} & set(changes))


streams.register(streams.StreamKind(
    name="ticket",
    authorize=_authorize_ticket,
    audiences={"internal": _may_read_internal},
    presence=True,
    presence_also=_presence_in_queue,
    recheck_on=_access_may_have_changed,
))
streams.register(streams.StreamKind(name="queue", authorize=_authorize_queue))


def ticket_stream(ticket_id: int) -> str:
    return streams.name("ticket", ticket_id)


def queue_stream(forum_id: int) -> str:
    return streams.name("queue", forum_id)


# --- event data ----------------------------------------------------------------------------------------------


def _person(user: Any) -> dict[str, Any] | None:
    return {"id": user.pk, "name": user.display_name} if user is not None else None


def _summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "ticket": ticket.pk,
        "number": ticket.number,
        "title": ticket.title,
        "status": ticket.status,
        "priority": ticket.priority,
        "forum": ticket.forum_id,
        "assignee": _person(ticket.assignee) if ticket.assignee_id else None,
        "url": ticket.get_absolute_url(),
    }


def _sla(ticket: Ticket) -> dict[str, Any]:
    return {
        "first_response_due": ticket.first_response_due,
        "first_response_at": ticket.first_response_at,
        "resolution_due": ticket.resolution_due,
        "resolved_at": ticket.resolved_at,
    }


def _message(ticket: Ticket, message: Message) -> dict[str, Any]:
    return {
        "message": message.pk,
        "ticket": ticket.pk,
        "number": ticket.number,
        "kind": message.kind,
        "internal": message.is_internal,
        "author": _person(message.author) if message.author_id else None,
        "body": message.body,
        "body_html": message.body_html,
        "source": message.source,
        "by_volunteer": message.by_volunteer,
        "created_at": message.created_at,
        "edited_at": message.edited_at,
    }


def _field(name: str) -> str:
    return name[:-3] if name.endswith("_id") else name


def _changes(changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, pair in changes.items():
        old, new = pair if isinstance(pair, (tuple, list)) and len(pair) == 2 else (None, pair)
        out[_field(name)] = {"old": old, "new": new}
    return out


# --- publishing ----------------------------------------------------------------------------------------------


def publish_ticket_events(kind: str, ticket: Ticket, **details: Any) -> None:
    if kind == "ticket_created":
        realtime.publish(queue_stream(ticket.forum_id), "queue.ticket_added", _summary(ticket))
    elif kind == "message_created":
        message: Message = details["message"]
        realtime.publish(
            ticket_stream(ticket.pk), "message.created", _message(ticket, message),
            audience="internal" if message.is_internal else None,
        )
    elif kind == "message_edited":
        edited: Message = details["message"]
        realtime.publish(
            ticket_stream(ticket.pk), "message.edited", _message(ticket, edited),
            audience="internal" if edited.is_internal else None,
        )
    elif kind == "ticket_updated":
        _ticket_updated(ticket, details.get("changes") or {}, details.get("actor"))


def _ticket_updated(ticket: Ticket, changes: dict[str, Any], actor: Any) -> None:
    summary = _summary(ticket)
    data = {**summary, "changes": _changes(changes), "actor": _person(actor), "sla": _sla(ticket)}
    realtime.publish(ticket_stream(ticket.pk), "ticket.updated", data)

    is_open = ticket.status in OPEN_STATUSES
    if "forum_id" in changes:
        old_forum = changes["forum_id"][0]
        if old_forum:
            realtime.publish(queue_stream(old_forum), "queue.ticket_removed", summary)
        if is_open:
            realtime.publish(queue_stream(ticket.forum_id), "queue.ticket_added", summary)
        return
    was_open = changes["status"][0] in OPEN_STATUSES if "status" in changes else is_open
    queue = queue_stream(ticket.forum_id)
    if was_open and not is_open:
        realtime.publish(queue, "queue.ticket_removed", summary)
    elif is_open and not was_open:
        realtime.publish(queue, "queue.ticket_added", summary)
    elif is_open and "assignee_id" in changes and ticket.assignee_id is not None:
        realtime.publish(queue, "queue.ticket_claimed", {**summary, "actor": _person(actor)})
    elif is_open:
        realtime.publish(queue, "ticket.updated", data)
