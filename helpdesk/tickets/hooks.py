"""What the tickets app plugs into the rest of the system: periodic jobs and reactions to account changes."""

from __future__ import annotations

from datetime import timedelta

from helpdesk.core.scheduler import periodic

from . import services


@periodic("tickets.auto_close", every=timedelta(hours=1))
def auto_close() -> None:
    services.auto_close_solved()
