"""Snapshots of the dashboard's figures: the rollup that keeps a province's dashboard under a second at 1M tickets.

Every figure is exact when computed (`selectors.live_figures`), but over a province's year at 1M tickets the
aggregates take seconds. A periodic job (`jobs.refresh_figure_snapshots`, every `EVERY`, oldest first for up
to `BUDGET`) computes the figures of the default period for the whole country, each province and each
kabupaten with tickets, and stores them here.
A request with the default period, a region (or the whole country for a scope that covers it) and no forum,
category or priority filter reads the snapshot, if one is younger than `DASHBOARD_SNAPSHOT_MAX_AGE_MINUTES`;
any other request, or a missing or older snapshot, computes the figures on the spot. So a ticket's change
(resolved, reopened, re-categorised, moved to another forum) shows on the dashboard within that age at most,
and the page says when its figures were computed ("diperbarui HH:MM").

Snapshots hold every figure, volunteers included; a scope that may not see people gets them stripped on
reading, exactly as the live figures leave them out.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from .access import Scope
from .models import FigureSnapshot
from .params import StatsFilters, default_range

# The job runs every minute and refreshes the snapshots older than REFRESH_AFTER, oldest first, for up to
# BUDGET (one outbox lease is 60 s): each is refreshed 5 to 6 minutes after the last time while a round fits
# in the budget, and well within the maximum age while it takes up to about ten budgets.
EVERY = timedelta(minutes=1)
BUDGET = timedelta(seconds=30)
REFRESH_AFTER = timedelta(minutes=5)
# Every region's figures, volunteers included: what a snapshot stores.
FULL_SCOPE = Scope(roots=None, sees_people=True, sees_tickets=True)
# The fields of `selectors.Figures` a snapshot stores (all but the filters and the time they were computed).
STORED = ("summary", "first_response", "resolution", "months", "categories", "forums", "csat", "villages",
          "deflection", "volunteers")


def max_age() -> timedelta:
    return timedelta(minutes=settings.DASHBOARD_SNAPSHOT_MAX_AGE_MINUTES)


def snapshot_key(f: StatsFilters) -> str:
    """The region and period, and the time zone that turns the period's days (and months) into instants.

    Snapshots are computed in the desk's zone (`TIME_ZONE`); a person whose own zone differs gets their
    figures computed on the spot, so days and months are always theirs.
    """
    zone = timezone.get_current_timezone_name()
    return f"stats:{zone}:{f.region or '*'}:{f.start.isoformat()}:{f.end.isoformat()}"


def servable(scope: Scope, f: StatsFilters) -> bool:
    """May these figures come from a snapshot: default period, no forum, category or priority filter?

    Without a region the figures cover the caller's whole scope, which a snapshot holds only for a scope that
    is the whole country (a coordinator of several regions gets their union computed on the spot).
    """
    if f.forum or f.category or f.priority:
        return False
    if not f.region and not scope.everywhere:
        return False
    return (f.start, f.end) == default_range()


def read(scope: Scope, f: StatsFilters) -> tuple[dict[str, Any], datetime] | None:
    """The stored figures and when they were computed, or None when there is no fresh snapshot to serve."""
    if not servable(scope, f):
        return None
    snapshot = FigureSnapshot.objects.filter(key=snapshot_key(f), computed_at__gte=timezone.now() - max_age()).first()
    if snapshot is None or not all(name in snapshot.data for name in STORED):
        return None  # none, or written before a figure was added: computed on the spot until refreshed
    data = {name: snapshot.data[name] for name in STORED}
    for name in ("first_response", "resolution"):  # stored before the flag existed: always exact
        data[name].setdefault("approximate", False)
    if not scope.sees_people:
        data["volunteers"] = None
    return data, snapshot.computed_at


def to_data(figures: Any) -> dict[str, Any]:
    """The stored part of a `Figures`, as JSON-ready values."""
    values = asdict(figures)
    return {name: values[name] for name in STORED}


def store(f: StatsFilters, data: dict[str, Any], computed_at: datetime) -> None:
    FigureSnapshot.objects.update_or_create(key=snapshot_key(f), defaults={"computed_at": computed_at, "data": data})
