"""What the tickets app plugs into the rest of the system: periodic jobs and reactions to account changes."""

from __future__ import annotations

from datetime import timedelta

from helpdesk.accounts.forum_services import on_membership_deactivated
from helpdesk.accounts.models import ForumMembership
from helpdesk.core.scheduler import periodic

from . import (  # noqa: F401 - importing registers consumers and jobs
    escalation,
    live,
    notify,
    services,
)


def _release(membership: ForumMembership) -> None:
    services.release_tickets_of(membership)


# A deactivated volunteer's open tickets go back to the forum's queue.
on_membership_deactivated.append(_release)


@periodic("tickets.auto_close", every=timedelta(hours=1))
def auto_close() -> None:
    services.auto_close_solved()
