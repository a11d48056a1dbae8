"""What the ticket bridge plugs in, imported from BotsConfig.ready(): commands and handlers register on import,
the ticket-event consumer, the notification channel and the profile section."""

from __future__ import annotations

from helpdesk.accounts import views as account_views
from helpdesk.accounts.models import Forum

from . import chats, linking, private_chat, ticket_bridge  # noqa: F401 - commands, handlers, jobs and the consumer register on import
from .models import TelegramChatEvent

if "bots/_profile_telegram.html" not in account_views.PROFILE_SECTIONS:
    account_views.PROFILE_SECTIONS.append("bots/_profile_telegram.html")


@chats.on_chat_change
def follow_migrated_group(change: chats.ChatChange) -> None:
    """A forum's group that became a supergroup keeps its link: the forum follows the new chat id."""
    if change.kind == TelegramChatEvent.Kind.MIGRATED and change.new_chat_id:
        Forum.objects.filter(telegram_chat_id=change.chat_id).update(telegram_chat_id=change.new_chat_id)
