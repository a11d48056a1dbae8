"""A person's preferences: language, time zone and which notifications reach them through which channel.

`User.notification_prefs` holds only what the person changed: `{event: {channel: bool}}`. Everything else
comes from the defaults in `extensions.notification_events`, so adding an event later needs no data migration. Tickets and Telegram ask
`wants_notification(user, event, channel)`; nothing else reads the JSON.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpdesk.regions.codes import WIB, WIT, WITA, timezone_of

from .extensions import notification_events
from .models import User

CHANNELS: dict[str, Promise] = {
    "email": _("E-mail"),
    "telegram": _("Telegram"),
    "digest": _("Ringkasan harian"),
}


TIMEZONE_CHOICES: list[tuple[str, Any]] = [
    ("", _("Ikuti wilayah desa/forum saya")),
    (WIB, _("WIB (UTC+7)")),
    (WITA, _("WITA (UTC+8)")),
    (WIT, _("WIT (UTC+9)")),
]


def wants_notification(user: User, event: str, channel: str) -> bool:
    """Whether `user` wants `event` through `channel`; unknown events or channels are never wanted."""
    spec = notification_events.get(event)
    if spec is None or channel not in CHANNELS:
        return False
    chosen = (user.notification_prefs or {}).get(event)
    if isinstance(chosen, dict) and isinstance(chosen.get(channel), bool):
        return bool(chosen[channel])
    return spec.default(channel)


def effective_prefs(user: User) -> dict[str, dict[str, bool]]:
    """Every event and channel with the person's choice or the default."""
    return {
        event: {channel: wants_notification(user, event, channel) for channel in CHANNELS}
        for event in notification_events
    }


def clean_prefs(raw: Any) -> dict[str, dict[str, bool]]:
    """Keep known events and channels with boolean values; drop everything else."""
    if not isinstance(raw, dict):
        return {}
    cleaned: dict[str, dict[str, bool]] = {}
    for event, channels in raw.items():
        if event in notification_events and isinstance(channels, dict):
            values = {ch: v for ch, v in channels.items() if ch in CHANNELS and isinstance(v, bool)}
            if values:
                cleaned[event] = values
    return cleaned


def user_timezone(user: User) -> str:
    """The person's own choice, else their desa's zone (known from its code, no query), else the site default."""
    if user.timezone:
        return user.timezone
    if user.desa_id:
        return timezone_of(user.desa_id)
    return str(settings.TIME_ZONE)


def user_language(user: User) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return user.language if user.language in codes else str(settings.LANGUAGE_CODE)
