"""What the ticket bridge plugs in, imported from BotsConfig.ready(): commands and handlers register on import,
the ticket-event consumer, the notification channel and the profile section."""

from __future__ import annotations

from helpdesk.accounts import views as account_views

from . import linking, private_chat, ticket_bridge  # noqa: F401 - commands, handlers, jobs and the consumer register on import

if "bots/_profile_telegram.html" not in account_views.PROFILE_SECTIONS:
    account_views.PROFILE_SECTIONS.append("bots/_profile_telegram.html")
