"""Periodic jobs of the dashboards: keep the adoption records in step with tickets and operators, and the
figure snapshots (`snapshots.py`) and the ticket rollup (`rollup_build.py`) fresh.

A periodic recompute (not a listener on ticket events) keeps the lower apps unaware of the dashboards.
"""

from __future__ import annotations

from datetime import timedelta

from helpdesk.core.scheduler import periodic

from . import probe, rollup_build, snapshots
from .refresh import refresh_figures
from .services import recompute_adoption


@periodic("dashboards.adoption", every=timedelta(hours=1))
def refresh_adoption() -> None:
    recompute_adoption()


@periodic("dashboards.site_probe", every=probe.EVERY)
def probe_village_sites() -> None:
    probe.probe_sites()


@periodic("dashboards.figures", every=snapshots.EVERY)
def refresh_figure_snapshots() -> None:
    refresh_figures(budget=snapshots.BUDGET)


@periodic("dashboards.rollup", every=rollup_build.EVERY)
def refresh_ticket_rollup() -> None:
    rollup_build.refresh_rollup(budget=rollup_build.BUDGET)
