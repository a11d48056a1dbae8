"""The one place where ticket changes turn into side effects: live events, notifications, Telegram.

Services call these inside their transaction. Nothing here sends anything itself: each listener (registered in
`extensions.listeners`: realtime, notifications, the community forum, the Telegram bridge; see docs/tickets.md)
records its work (an event-log row, a notification, an outbox job) in the same transaction, and it leaves after
commit.
"""

from __future__ import annotations

from typing import Any

from helpdesk import realtime

from .extensions import Contribution, contribution_listeners, listeners
from .models import Message, Ticket


def ticket_created(ticket: Ticket) -> None:
    _fanout("ticket_created", ticket, {})


def message_created(ticket: Ticket, message: Message) -> None:
    _fanout("message_created", ticket, {"message": message})


def message_edited(ticket: Ticket, message: Message, *, previous: str) -> None:
    """Its author changed a reply or a note (`message` holds the new text, `previous` the one it replaced)."""
    _fanout("message_edited", ticket, {"message": message, "previous": previous})


def ticket_updated(ticket: Ticket, changes: dict[str, Any], actor: Any = None) -> None:
    """`changes` maps a field (status, assignee, priority, category, forum, sla) to (old, new)."""
    _fanout("ticket_updated", ticket, {"changes": changes, "actor": actor})


def contribution_changed(contribution: Contribution, *, withdrawn: bool) -> None:
    """A contribution (a published knowledge-base entry) was credited, or withdrawn; inside the transaction."""
    for listener in contribution_listeners.values():
        listener(contribution, withdrawn=withdrawn)


def _fanout(kind: str, ticket: Ticket, details: dict[str, Any]) -> None:
    # The live events of all listeners are written together at the end (realtime.batch): the streams' head rows
    # (the forum's queue, each notified person's own stream) are then locked only from there to commit, not
    # over the rest of the change, so filings in one forum do not queue behind each other.
    with realtime.batch():
        for listener in listeners.values():
            listener(kind, ticket, **details)
