"""Recomputing the figure snapshots (`snapshots.py`): the periodic job and `manage.py dashboards_refresh`.

The whole country, every province and every kabupaten with tickets in the default period get their figures
computed from the tickets and stored, the oldest snapshot first; snapshots of another period (one that
ended) or of a region without tickets are dropped. Kecamatan and desa are small enough to compute on the spot.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db.models.functions import Substr
from django.utils import timezone

from helpdesk.tickets.models import Ticket

from . import snapshots
from .adoption import CODE_LENGTH
from .models import FigureSnapshot
from .params import StatsFilters, default_range
from .selectors import live_figures


def snapshot_regions(f: StatsFilters) -> list[str]:
    """'' (the whole country), then the provinces and kabupaten that have tickets in the period."""
    rows = Ticket.objects.filter(created_at__gte=f.since, created_at__lt=f.until)
    kabupaten = sorted(rows.annotate(kab=Substr("desa_id", 1, CODE_LENGTH[2])).values_list("kab", flat=True)
                       .distinct().order_by())
    provinces = sorted({code[:CODE_LENGTH[1]] for code in kabupaten})
    return ["", *provinces, *kabupaten]


def refresh_figures(progress: Callable[[str], None] | None = None, *, budget: timedelta | None = None) -> int:
    """Recompute the snapshots of the default period in the desk's time zone, oldest first; returns how many.

    With a `budget` (the periodic job), only snapshots older than `REFRESH_AFTER` are due, and no new region is
    started once the budget is spent (at least one is always done): the job runs inside one outbox lease, so
    it does a share of the work each minute rather than all of it at once.
    Snapshots of other periods or of regions without tickets are dropped.
    """
    with timezone.override(timezone.get_default_timezone()):
        return _refresh(progress, budget)


def _refresh(progress: Callable[[str], None] | None, budget: timedelta | None) -> int:
    started = time.monotonic()
    start, end = default_range()
    wanted = {snapshots.snapshot_key(f): f for f in (StatsFilters(region=region, start=start, end=end)
                                                    for region in snapshot_regions(StatsFilters("", start, end)))}
    FigureSnapshot.objects.exclude(key__in=wanted).delete()
    ages = dict(FigureSnapshot.objects.filter(key__in=wanted).values_list("key", "computed_at"))
    never = datetime.min.replace(tzinfo=UTC)
    due = [key for key in wanted if budget is None or ages.get(key, never) < timezone.now() - snapshots.REFRESH_AFTER]
    stored = 0
    for key in sorted(due, key=lambda k: (ages.get(k, never), k)):
        if stored and budget is not None and time.monotonic() - started >= budget.total_seconds():
            break
        f = wanted[key]
        # Stamped with the time the computation began: the figures are at least that fresh.
        computed_at = timezone.now()
        snapshots.store(f, snapshots.to_data(live_figures(snapshots.FULL_SCOPE, f)), computed_at)
        stored += 1
        if progress:
            progress(f.region or "*")
    return stored
