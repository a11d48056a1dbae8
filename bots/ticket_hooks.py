"""What the ticket bridge plugs in, imported from BotsConfig.ready(): commands and handlers register on import;
the listener on ticket events, the notification channels and the profile section register here. Listed in
docs/telegram.md."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from helpdesk.accounts.extensions import NotificationEvent, notification_events, profile_sections
from helpdesk.accounts.models import Forum
from helpdesk.notifications.extensions import channels, team_channels
from helpdesk.tickets.extensions import listeners

from . import chats, linking, private_chat, ticket_bridge, ticket_edits, ticket_group  # noqa: F401 - commands, handlers and jobs register on import
from .outbound import telegram_send


def post_to_team(*, forum: Forum, html: str, purpose_key: str) -> bool:
    """A post to the forum's own Telegram group (e.g. the monthly leaderboard), if it has one."""
    if forum.telegram_chat_id is None:
        return False
    telegram_send(chat_id=forum.telegram_chat_id, text=html, purpose_key=purpose_key, subject=f"forum:{forum.pk}")
    return True


notification_events.register(
    "telegram_link_moved", NotificationEvent(gettext_lazy("Akun Telegram saya ditautkan ke akun lain"), telegram=False)
)
listeners.register("bots", ticket_bridge.on_ticket_event)
listeners.register("bots.edits", ticket_edits.on_ticket_event)
channels.register("telegram", private_chat.telegram_channel)
team_channels.register("telegram", post_to_team)
profile_sections.register("bots", "bots/_profile_telegram.html")
