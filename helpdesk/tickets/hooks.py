"""What the tickets app plugs into the rest of the system, from its app's ready(): its own listeners on ticket
events, periodic jobs, and its reaction to a volunteer's deactivation."""

from __future__ import annotations

from datetime import timedelta

from helpdesk.accounts.extensions import membership_deactivated, operator_changed
from helpdesk.accounts.models import ForumMembership
from helpdesk.core.scheduler import periodic

from . import escalation, live, notify, services  # noqa: F401 - escalation's jobs register on import
from .extensions import listeners
from .services import drafts

# Who hears about a change (notifications), then who sees it live (realtime).
listeners.register("tickets.notify", notify.on_ticket_event)
listeners.register("tickets.live", live.publish_ticket_events)


def _release(membership: ForumMembership) -> None:
    services.release_tickets_of(membership)


# A deactivated volunteer's open tickets go back to the forum's queue.
membership_deactivated.register("tickets.release", _release)


# A pending operator's draft ticket files when they are verified, and goes when they are rejected.
operator_changed.register("tickets.drafts", drafts.on_operator_changed)


@periodic("tickets.auto_close", every=timedelta(hours=1))
def auto_close() -> None:
    services.auto_close_solved()
