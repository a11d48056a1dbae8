"""Figure snapshots: the same figures as computed live, never older than the documented age, never leaking scope.

The fixture's tickets are in November 2025, so "the default period" is pinned to that month here.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk.categories.models import Category
from helpdesk.core.scheduler import registered_schedules
from helpdesk.dashboards import refresh, snapshots
from helpdesk.dashboards.access import Scope, dashboard_scope
from helpdesk.dashboards.figures import dashboard_figures
from helpdesk.dashboards.models import FigureSnapshot
from helpdesk.dashboards.params import StatsFilters
from helpdesk.dashboards.selectors import live_figures
from helpdesk.tickets.models import Status, Ticket
from tests.dashboards.conftest import PERIOD, Dash

EVERYWHERE = Scope(roots=None, sees_people=True, sees_tickets=True)
NOV = (date(2025, 11, 1), date(2025, 11, 30))


@pytest.fixture
def november(monkeypatch: pytest.MonkeyPatch) -> None:
    """November 2025 is the default period (for reading and refreshing snapshots alike)."""
    monkeypatch.setattr(snapshots, "default_range", lambda: NOV)
    monkeypatch.setattr(refresh, "default_range", lambda: NOV)


def nov(region: str, **extra: Any) -> StatsFilters:
    return StatsFilters(region=region, start=NOV[0], end=NOV[1], **extra)


def figures_dict(fig: Any) -> dict[str, Any]:
    return snapshots.to_data(fig)


def test_refresh_stores_the_country_provinces_and_kabupaten_with_tickets(dash: Dash, november: None) -> None:
    assert refresh.refresh_figures() == 4
    keys = set(FigureSnapshot.objects.values_list("key", flat=True))
    assert keys == {f"stats:Asia/Makassar:{r}:2025-11-01:2025-11-30" for r in ("*", "52", "52.03", "52.06")}


def test_snapshot_figures_equal_the_hand_computed_live_ones(dash: Dash, november: None,
                                                            django_assert_num_queries: Any) -> None:
    live = {r: figures_dict(live_figures(EVERYWHERE, nov(r))) for r in ("", "52", "52.03", "52.06")}
    refresh.refresh_figures()
    for region, expected in live.items():
        with django_assert_num_queries(1):
            fig = dashboard_figures(EVERYWHERE, nov(region))
        assert fig.computed_at is not None
        assert figures_dict(fig) == expected
    # The hand-computed figures of tests/dashboards/test_figures.py, read back from the snapshot.
    fig = dashboard_figures(EVERYWHERE, nov("52.03"))
    fr, res = fig.first_response, fig.resolution
    assert (fr["n"], fr["median_minutes"], fr["p90_minutes"], fr["breached"]) == (5, 30.0, 76.0, 1)
    assert (res["n"], res["median_minutes"], res["p90_minutes"], res["breach_rate"]) == (3, 120.0, 216.0, 60.0)
    assert fig.summary == {"opened": 5, "solved": 3, "open": 2}


def test_a_change_shows_within_the_maximum_age(dash: Dash, november: None, settings: Any) -> None:
    settings.DASHBOARD_SNAPSHOT_MAX_AGE_MINUTES = 15
    refresh.refresh_figures()
    open_ticket = next(t for t in dash.tickets if t.desa_id.startswith("52.03") and t.resolved_at is None)
    # Resolved, re-categorised and moved to Bima's forum after the snapshot was taken.
    Ticket.objects.filter(pk=open_ticket.pk).update(
        status=Status.SELESAI, resolved_at=open_ticket.created_at + timedelta(minutes=30),
        category=Category.objects.get(slug="surat-tte"), forum=dash.bima, updated_at=timezone.now())
    stale = dashboard_figures(EVERYWHERE, nov("52.03"))
    assert stale.summary == {"opened": 5, "solved": 3, "open": 2}  # as of `computed_at`, said on the page
    assert timezone.now() - stale.computed_at <= timedelta(minutes=15)
    # A filtered view is never served from a snapshot.
    assert dashboard_figures(EVERYWHERE, nov("52.03", category="surat-tte")).summary["solved"] == 1
    # Past the maximum age the snapshot is not served: the figures are computed on the spot.
    FigureSnapshot.objects.update(computed_at=timezone.now() - timedelta(minutes=15, seconds=1))
    fresh = dashboard_figures(EVERYWHERE, nov("52.03"))
    assert fresh.computed_at is None
    assert fresh.summary == {"opened": 5, "solved": 4, "open": 1}
    assert {f["name"]: f["tickets"] for f in fresh.forums} == {"ForSID Lombok Timur": 4, "ForSID Bima": 1}
    # The next refresh (the periodic job, or the command) brings the snapshot in step.
    call_command("dashboards_refresh", verbosity=0)
    assert figures_dict(dashboard_figures(EVERYWHERE, nov("52.03"))) == figures_dict(fresh)


def test_reopening_shows_after_the_refresh(dash: Dash, november: None) -> None:
    solved = next(t for t in dash.tickets if t.resolved_at is not None)
    refresh.refresh_figures()
    Ticket.objects.filter(pk=solved.pk).update(status=Status.DITANGANI, resolved_at=None)
    call_command("dashboards_refresh", verbosity=0)
    fig = dashboard_figures(EVERYWHERE, nov("52.03"))
    assert fig.computed_at is not None
    assert fig.summary == {"opened": 5, "solved": 2, "open": 3}
    assert fig.resolution["n"] == 2


def test_snapshots_keep_the_scope_rules(dash: Dash, november: None) -> None:
    refresh.refresh_figures()
    planner = dashboard_figures(dashboard_scope(dash.planner), nov("52"))
    assert planner.computed_at is not None and planner.volunteers is None
    coordinator = dashboard_scope(dash.coord_lotim)
    # No region from a coordinator: their forums' regions, never the country's snapshot.
    own = dashboard_figures(coordinator, nov(""))
    assert own.computed_at is None and own.summary["opened"] == 5
    assert dashboard_figures(coordinator, nov("52.03")).volunteers
    # Someone in another time zone has other days: their figures are computed on the spot.
    with timezone.override(ZoneInfo("Asia/Jakarta")):
        assert dashboard_figures(EVERYWHERE, nov("52.03")).computed_at is None


def test_other_periods_and_old_snapshots_are_not_served(dash: Dash, november: None) -> None:
    refresh.refresh_figures()
    other = StatsFilters(region="52.03", start=date(2025, 11, 2), end=date(2025, 11, 30))
    assert dashboard_figures(EVERYWHERE, other).computed_at is None
    # A snapshot written before a figure existed is not served.
    FigureSnapshot.objects.filter(key__contains=":52.03:").update(data={"summary": {"opened": 99}})
    assert dashboard_figures(EVERYWHERE, nov("52.03")).summary == {"opened": 5, "solved": 3, "open": 2}
    FigureSnapshot.objects.update(computed_at=timezone.now() - timedelta(days=1))
    refresh.refresh_figures()
    FigureSnapshot.objects.create(key="stats:Asia/Makassar:52.09:2025-11-01:2025-11-30", computed_at=timezone.now() - timedelta(days=1),
                                  data={})
    refresh.refresh_figures()
    assert not FigureSnapshot.objects.filter(key__contains=":52.09:").exists()


def test_page_and_api_say_when_the_figures_were_computed(dash: Dash, november: None) -> None:
    client = Client()
    client.force_login(dash.admin)
    assert "figures-computed" not in client.get("/dasbor/52/", PERIOD).content.decode()
    refresh.refresh_figures()
    html = client.get("/dasbor/52/", PERIOD).content.decode()
    computed = FigureSnapshot.objects.get(key="stats:Asia/Makassar:52:2025-11-01:2025-11-30").computed_at
    assert f"Angka diperbarui {timezone.localtime(computed):%H:%M}" in html
    api = APIClient()
    api.force_authenticate(dash.admin)
    body = api.get("/api/v1/stats/", {"region": "52", **PERIOD}).json()
    assert body["summary"] == {"opened": 6, "solved": 3, "open": 3}


def test_the_refresh_is_a_periodic_job() -> None:
    schedule = registered_schedules()["dashboards.figures"]
    assert schedule.every == snapshots.EVERY
    assert snapshots.max_age() > snapshots.EVERY  # refreshed well within the default maximum age
    assert snapshots.BUDGET.total_seconds() < settings.TASKS["LEASE_SECONDS"]  # one run fits in its lease


def test_a_budgeted_refresh_does_the_oldest_snapshots_first(dash: Dash, november: None) -> None:
    refresh.refresh_figures()
    old = timezone.now() - timedelta(minutes=10)
    FigureSnapshot.objects.filter(key__contains=":52.06:").update(computed_at=old)
    FigureSnapshot.objects.filter(key__contains=":52.03:").update(computed_at=old - timedelta(minutes=1))
    # A spent budget still refreshes one snapshot: the oldest.
    assert refresh.refresh_figures(budget=timedelta(0)) == 1
    assert FigureSnapshot.objects.get(key__contains=":52.03:").computed_at > old
    assert FigureSnapshot.objects.get(key__contains=":52.06:").computed_at == old
    assert refresh.refresh_figures(budget=timedelta(0)) == 1
    assert FigureSnapshot.objects.get(key__contains=":52.06:").computed_at > old
    # A missing snapshot comes before any stored one.
    FigureSnapshot.objects.filter(key__contains=":52:").delete()
    assert refresh.refresh_figures(budget=timedelta(0)) == 1
    assert FigureSnapshot.objects.filter(key__contains=":52:").exists()
    # Nothing older than REFRESH_AFTER: the job has nothing to do; the command refreshes everything.
    assert refresh.refresh_figures(budget=timedelta(seconds=30)) == 0
    assert refresh.refresh_figures() == 4
