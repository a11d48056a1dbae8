"""Recomputing the figure snapshots (`snapshots.py`): the periodic job and `manage.py dashboards_refresh`.

The whole country, every province and every kabupaten with tickets in the default period get their figures
computed from the tickets and stored; snapshots not refreshed in this run (a period that ended, a region
whose tickets went elsewhere) are dropped. Kecamatan and desa are small enough to compute on the spot.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models.functions import Substr
from django.utils import timezone

from helpdesk.tickets.models import Ticket

from . import snapshots
from .adoption import CODE_LENGTH
from .params import StatsFilters, default_range
from .selectors import live_figures

SNAPSHOT_LEVELS = (1, 2)  # province, kabupaten


def snapshot_regions(f: StatsFilters) -> list[str]:
    """'' (the whole country), then the provinces and kabupaten that have tickets in the period."""
    rows = Ticket.objects.filter(created_at__gte=f.since, created_at__lt=f.until)
    kabupaten = sorted(rows.annotate(kab=Substr("desa_id", 1, CODE_LENGTH[2])).values_list("kab", flat=True)
                       .distinct().order_by())
    provinces = sorted({code[:CODE_LENGTH[1]] for code in kabupaten})
    return ["", *provinces, *kabupaten]


def refresh_figures(progress: Callable[[str], None] | None = None) -> int:
    """Recompute every snapshot of the default period in the desk's time zone; returns how many were stored."""
    with timezone.override(timezone.get_default_timezone()):
        return _refresh(progress)


def _refresh(progress: Callable[[str], None] | None) -> int:
    started = timezone.now()
    start, end = default_range()
    stored = 0
    for region in snapshot_regions(StatsFilters(region="", start=start, end=end)):
        f = StatsFilters(region=region, start=start, end=end)
        # Stamped with the time the computation began: the figures are at least that fresh.
        computed_at = timezone.now()
        snapshots.store(f, snapshots.to_data(live_figures(snapshots.FULL_SCOPE, f)), computed_at)
        stored += 1
        if progress:
            progress(region or "*")
    snapshots.forget_older_than(started)
    return stored
