"""The one place where ticket changes turn into side effects: live events, notifications, Telegram.

Services call these inside their transaction. Nothing here sends anything itself: each consumer records its
work (an event-log row, a notification, an outbox job) in the same transaction, and it leaves after commit.
"""

from __future__ import annotations

from typing import Any

from .models import Message, Ticket


def ticket_created(ticket: Ticket) -> None:
    _fanout("ticket_created", ticket, {})


def message_created(ticket: Ticket, message: Message) -> None:
    _fanout("message_created", ticket, {"message": message})


def ticket_updated(ticket: Ticket, changes: dict[str, Any], actor: Any = None) -> None:
    """`changes` maps a field (status, assignee, priority, category, forum, sla) to (old, new)."""
    _fanout("ticket_updated", ticket, {"changes": changes, "actor": actor})


# Consumers register here at import time (apps' ready()): realtime, notifications, the Telegram bridge.
# Each is called as fn(kind, ticket, **details) inside the service's transaction.
CONSUMERS: list[Any] = []


def consumer(fn: Any) -> Any:
    CONSUMERS.append(fn)
    return fn


def _fanout(kind: str, ticket: Ticket, details: dict[str, Any]) -> None:
    for fn in CONSUMERS:
        fn(kind, ticket, **details)
