"""Notifications: in the app always, by e-mail (grouped, through the outbox) and Telegram when wanted.

Called inside the transaction of the change that caused them. E-mail never leaves inside a request: one
outbox job per person, thread and ten-minute window collects everything that happened in that window into
one message, so a busy ticket does not send ten e-mails.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from helpdesk import realtime
from helpdesk.accounts.models import User
from helpdesk.accounts.preferences import wants_notification
from helpdesk.core import outbox
from helpdesk.realtime.streams import user_stream

from .extensions import channels
from .models import Notification
from .selectors import unread_counts

EMAIL_WINDOW = timedelta(minutes=10)

def notify(
    *,
    user: User,
    event: str,
    text: str,
    url: str = "",
    ticket_id: int | None = None,
    group_key: str = "",
    email: bool = True,
) -> Notification | None:
    """`email=False` when the caller mails the person itself (the accounts app's own e-mails)."""
    if not user.is_active:
        return None
    notification = _build(user, event=event, text=text, url=url, ticket_id=ticket_id, group_key=group_key,
                          email=email)
    notification.save()
    _deliver(notification, unread_counts([user.pk]).get(user.pk, 0))
    return notification


def notify_many(users: list[User], **kwargs: Any) -> int:
    """`notify` for each person once, with the rows written in one INSERT and the unread counts read in one
    query (each stopped at `selectors.UNREAD_LIMIT`): a new ticket notifies every volunteer of its forum inside
    the filing's transaction."""
    people: list[User] = []
    seen: set[int] = set()
    for user in users:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        people.append(user)
    if len(people) <= 1:
        return sum(1 for user in people if notify(user=user, **kwargs) is not None)
    created = Notification.objects.bulk_create([_build(user, **kwargs) for user in people])
    unread = unread_counts(seen)
    with realtime.batch():  # the live events in two statements, not two per person
        for notification in created:
            _deliver(notification, unread.get(notification.user_id, 0))
    return len(created)


def _build(user: User, *, event: str, text: str, url: str = "", ticket_id: int | None = None,
           group_key: str = "", email: bool = True) -> Notification:
    email = email and bool(user.email) and wants_notification(user, event, "email")
    return Notification(
        user=user, type=event, text=text[:500], url=url, ticket_id=ticket_id, group_key=group_key, wants_email=email
    )


def _deliver(notification: Notification, unread: int) -> None:
    """After the row is written: the grouped e-mail job, the other channels, the live badge."""
    user = notification.user
    if notification.wants_email:
        now = timezone.now()
        window = int(now.timestamp() // EMAIL_WINDOW.total_seconds())
        window_end = (window + 1) * EMAIL_WINDOW.total_seconds()
        group_key = notification.group_key
        outbox.enqueue(
            "notifications.email",
            {"user": user.pk, "group": group_key},
            key=f"notify-email:{user.pk}:{group_key or 'umum'}:{window}",
            delay=timedelta(seconds=max(0.0, window_end - now.timestamp()) + 5),
        )
    for channel in channels.values():  # Telegram: see extensions.py
        channel(notification)
    realtime.publish(
        user_stream(user.pk),
        "notification.created",
        {
            "id": notification.pk, "type": notification.type, "ticket": notification.ticket_id,
            "text": notification.text, "url": notification.url, "at": notification.created_at.isoformat(),
            "unread": unread,
        },
    )


def mark_read(*, user: User, ids: list[int] | None = None, everything: bool = False,
              ticket_id: int | None = None) -> int:
    """Marks the given notifications read, or all of them, or those about one ticket (opening it reads them)."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ticket_id is not None:
        qs = qs.filter(ticket_id=ticket_id)
    elif not everything:
        qs = qs.filter(pk__in=ids or [])
    return qs.update(read_at=timezone.now())
