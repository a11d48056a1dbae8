"""The notifications app's extension points: the channels beyond the in-app list and e-mail through which people
and ForSID teams hear about things (the Telegram bridge registers into both). Each is a `core.registry.Registry`;
who registers what is listed in docs/accounts.md ("Extension points"). Register from your app's `hooks.py`.
"""

from __future__ import annotations

from typing import Protocol

from helpdesk.accounts.models import Forum
from helpdesk.core.registry import Registry

from .models import Notification


class Channel(Protocol):
    """Gets each saved notification inside its transaction, and queues its own delivery if the person wants
    the event through this channel (`accounts.preferences.wants_notification`)."""

    def __call__(self, notification: Notification) -> None: ...


channels: Registry[Channel] = Registry("notifications.channels")


class TeamChannel(Protocol):
    """Queues a post to a ForSID team's own group (call inside a transaction; it leaves after commit). `html` uses
    the small subset chat apps accept (<b>, <i>, <a>), with people's text escaped. Idempotent by `purpose_key`.
    Returns whether the team has a group on this channel."""

    def __call__(self, *, forum: Forum, html: str, purpose_key: str) -> bool: ...


team_channels: Registry[TeamChannel] = Registry("notifications.team_channels")
