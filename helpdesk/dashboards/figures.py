"""Where the dashboard's figures come from, quickest first: a snapshot (`snapshots.py`), the rollup (`rollup.py`),
or the tickets themselves (`selectors.live_figures`)."""

from __future__ import annotations

from django.conf import settings

from . import snapshots
from .access import Scope
from .params import StatsFilters
from .rollup import rollup_figures
from .selectors import Figures, live_figures


def dashboard_figures(scope: Scope, f: StatsFilters) -> Figures:
    """The figures the dashboard shows: a fresh snapshot when one serves these filters, the rollup when it serves
    them and the view is large, else computed now."""
    stored = snapshots.read(scope, f)
    if stored is not None:
        data, computed_at = stored
        return Figures(filters=f, computed_at=computed_at, **data)
    rolled = rollup_figures(scope, f)
    if rolled is not None:
        return rolled
    return live_figures(scope, f, timeout_ms=settings.DASHBOARD_STATEMENT_TIMEOUT_MS)
