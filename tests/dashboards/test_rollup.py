"""The monthly ticket rollup: the same figures as counted live from the tickets (medians and p90 within their
histogram's error), served only when it may serve them, rebuilt when tickets change.

The rollup is PostgreSQL's (SQLite desks are small and always counted live); the histogram arithmetic is checked
on both backends.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection  # noqa: F401 (read by the skipif condition)
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk.categories.models import Category
from helpdesk.dashboards import rollup_build
from helpdesk.dashboards.access import Scope, dashboard_scope
from helpdesk.dashboards.expressions import BUCKETS, DurationBucket
from helpdesk.dashboards.figures import dashboard_figures
from helpdesk.dashboards.models import RollupMonth, TicketRollup, VillageRollup
from helpdesk.dashboards.params import StatsFilters
from helpdesk.dashboards.percentiles import bucket_bounds, bucket_of, histogram_percentile, percentile_cont
from helpdesk.dashboards.rollup import rollup_figures
from helpdesk.dashboards.selectors import live_figures
from helpdesk.dashboards.snapshots import to_data
from helpdesk.tickets.models import Message, Priority, Rating, Status, Ticket
from tests.concurrency import run_together
from tests.dashboards.conftest import START, A, B, C, D, Dash, E, build_world

EVERYWHERE = Scope(roots=None, sees_people=True, sees_tickets=True)
QUARTER = {"start": date(2025, 10, 1), "end": date(2025, 12, 31)}
ON_POSTGRES = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the rollup is PostgreSQL's")


def test_buckets_cover_every_duration_within_nine_percent() -> None:
    for seconds in (0, 59.9, 60, 61, 3600, 86_400 * 3, 86_400 * 400):
        low, high = bucket_bounds(bucket_of(seconds))
        assert low <= seconds < high or (bucket_of(seconds) == 0 and seconds < 60)
        if seconds >= 60:
            assert high / low < 1.091
    assert bucket_of(10**12) == BUCKETS - 1


def test_histogram_percentiles_stay_close_to_the_exact_ones() -> None:
    rng = random.Random(17)
    for _ in range(20):
        values = sorted(rng.lognormvariate(8, 1.5) + 60 for _ in range(rng.randint(1, 400)))
        counts = [0] * BUCKETS
        for v in values:
            counts[bucket_of(v)] += 1
        for fraction in (0.5, 0.9):
            exact = percentile_cont(values, fraction)
            approx = histogram_percentile(counts, fraction)
            assert exact is not None and approx is not None
            assert abs(approx - exact) <= 0.09 * exact, (fraction, exact, approx)
    assert histogram_percentile([0] * BUCKETS, 0.5) is None


@ON_POSTGRES
def test_the_database_puts_durations_in_the_same_buckets_as_python(dash: Dash) -> None:
    durations = [0, 30, 59, 60, 61, 90, 600, 3599, 3600, 86_400, 86_400 * 30, 86_400 * 2000]
    for seconds in durations:
        dash.ticket(desa=E, reporter=dash.op_d, forum=dash.bima, created_at=START,
                    first_response_at=START + timedelta(seconds=seconds), opensid_version=str(seconds))
    rows = Ticket.objects.filter(desa_id=E).annotate(b=DurationBucket("created_at", "first_response_at"))
    assert {int(t.opensid_version): t.b for t in rows} == {s: bucket_of(s) for s in durations}


def busy_quarter(dash: Dash, n: int = 240) -> None:
    """`n` more tickets from October to December 2025, of every kind the figures tell apart."""
    rng = random.Random(2025)
    categories = list(Category.objects.values_list("slug", flat=True)[:6])
    forums = {A: dash.lotim, B: dash.lotim, C: dash.lotim, D: dash.bima, E: dash.bima}
    reporters = {A: dash.op_a, B: dash.op_b, C: dash.op_a, D: dash.op_d, E: dash.op_d}
    for i in range(n):
        desa = rng.choice([A, A, A, B, C, D, D, E])
        created = START - timedelta(days=33) + timedelta(minutes=rng.randint(0, 85 * 24 * 60))
        first = created + timedelta(minutes=rng.lognormvariate(4, 1.2)) if rng.random() < 0.85 else None
        done = first + timedelta(minutes=rng.lognormvariate(6, 1.5)) if first and rng.random() < 0.7 else None
        status = (Status.SELESAI if done and rng.random() < 0.8 else Status.DITUTUP) if done else rng.choice(
            [Status.BARU, Status.DITANGANI, Status.MENUNGGU])
        t = dash.ticket(
            desa=desa, reporter=reporters[desa], forum=forums[desa] if rng.random() < 0.9 else dash.ntb,
            created_at=created, category=rng.choice(categories), priority=rng.choice(list(Priority)),
            status=status, assignee=dash.vol_lotim if first and forums[desa] == dash.lotim else None,
            first_response_at=first, first_response_due=created + timedelta(hours=rng.choice([1, 4, 24])),
            resolution_due=created + timedelta(days=rng.choice([1, 3])),
            resolved_at=done if status == Status.SELESAI else None,
            closed_at=done if status == Status.DITUTUP else None,
        )
        if done and rng.random() < 0.5:
            Rating.objects.create(ticket=t, score=rng.randint(1, 5), rated_by=reporters[desa])
        if first and i % 7 == 0:
            author = dash.vol_lotim if i % 2 else dash.coord_bima
            answer = Message.objects.create(ticket=t, author=author, body="Jawaban.", by_volunteer=True)
            Ticket.objects.filter(pk=t.pk).update(accepted_message=answer)
    # Slow ones from September on, finished days or weeks later (or not yet): open across the periods' first days.
    for i in range(n // 4):
        desa = rng.choice([A, C, D])
        created = START - timedelta(days=63) + timedelta(minutes=rng.randint(0, 50 * 24 * 60))
        done = created + timedelta(days=rng.uniform(2, 45)) if i % 5 else None
        dash.ticket(desa=desa, reporter=reporters[desa], forum=forums[desa], created_at=created,
                    category=rng.choice(categories), priority=rng.choice(list(Priority)),
                    status=(Status.SELESAI if i % 3 else Status.DITUTUP) if done else Status.DITANGANI,
                    first_response_at=created + timedelta(hours=rng.uniform(1, 30)),
                    resolved_at=done if done and i % 3 else None, closed_at=done if done and not i % 3 else None)


def _without_percentiles(figures: dict[str, Any]) -> dict[str, Any]:
    out = dict(figures)
    for name in ("first_response", "resolution"):
        out[name] = {k: v for k, v in out[name].items() if k not in ("median_minutes", "p90_minutes", "approximate")}
    if out["volunteers"]:
        # The rollup averages from a sum and a count, the database with AVG: the last digit may round apart.
        out["volunteers"] = [{**p, "avg_first_response_minutes": None} for p in out["volunteers"]]
    return out


def _close(approx: float | None, exact: float | None) -> bool:
    if exact is None or approx is None:
        return approx == exact
    return abs(approx - exact) <= 0.09 * exact + 0.1  # the histogram's error, and the rounding to 0.1 minute


@ON_POSTGRES
@pytest.mark.parametrize("filters", [
    {"region": ""}, {"region": "52"}, {"region": "52.03"}, {"region": "52.06", "priority": "tinggi"},
    {"region": "52", "category": "kependudukan"}, {"region": "52", "forum": "lotim"},
    {"region": "52", "start": date(2025, 11, 1), "end": date(2025, 11, 30)},
    {"region": "52.03", "start": date(2025, 12, 1), "end": date(2025, 12, 31), "priority": "normal"},
    # Days that are not whole months: the rollup's months and the ends counted live.
    {"region": "52", "start": date(2025, 10, 15), "end": date(2025, 12, 10)},
    {"region": "", "start": date(2025, 10, 20), "end": date(2025, 12, 31), "category": "kependudukan"},
    {"region": "52.03", "start": date(2025, 10, 1), "end": date(2025, 12, 20), "forum": "lotim"},
    {"region": "52.06", "start": date(2025, 11, 4), "end": date(2025, 12, 31), "priority": "darurat"},
])
def test_rollup_figures_equal_the_live_ones(dash: Dash, settings: Any, filters: dict[str, Any]) -> None:
    settings.DASHBOARD_ROLLUP_MIN_TICKETS = 0
    busy_quarter(dash)
    assert rollup_build.refresh_rollup() >= 3
    if filters.get("forum"):
        filters = {**filters, "forum": getattr(dash, filters["forum"]).pk}
    f = StatsFilters(**{**QUARTER, **filters})
    live, rolled = live_figures(EVERYWHERE, f), rollup_figures(EVERYWHERE, f)
    assert rolled is not None and rolled.computed_at is not None
    assert _without_percentiles(to_data(rolled)) == _without_percentiles(to_data(live))
    for name in ("first_response", "resolution"):
        exact, approx = getattr(live, name), getattr(rolled, name)
        assert approx["approximate"] is True and exact["approximate"] is False
        assert _close(approx["median_minutes"], exact["median_minutes"]), (name, approx, exact)
        assert _close(approx["p90_minutes"], exact["p90_minutes"]), (name, approx, exact)
    for person, exact_person in zip(rolled.volunteers or [], live.volunteers or [], strict=True):
        assert _close(person["avg_first_response_minutes"], exact_person["avg_first_response_minutes"])


@ON_POSTGRES
def test_scopes_get_their_own_figures_from_the_rollup(dash: Dash, settings: Any) -> None:
    settings.DASHBOARD_ROLLUP_MIN_TICKETS = 0
    busy_quarter(dash, 80)
    rollup_build.refresh_rollup()
    f = StatsFilters(region="", **QUARTER)
    coordinator = dashboard_scope(dash.coord_bima)
    rolled, live = rollup_figures(coordinator, f), live_figures(coordinator, f)
    assert rolled is not None
    assert rolled.summary == live.summary and rolled.forums == live.forums
    assert rolled.summary["opened"] < rollup_figures(EVERYWHERE, f).summary["opened"]  # type: ignore[union-attr]
    planner = rollup_figures(dashboard_scope(dash.planner), f)
    assert planner is not None and planner.volunteers is None
    nowhere = rollup_figures(Scope(roots=(), sees_people=True, sees_tickets=True), f)  # a forum without regions
    assert nowhere is not None and nowhere.summary == {"opened": 0, "solved": 0, "open": 0} and not nowhere.forums


@ON_POSTGRES
def test_the_rollup_serves_only_what_it_holds(dash: Dash, settings: Any) -> None:
    settings.DASHBOARD_ROLLUP_MIN_TICKETS = 0
    f = StatsFilters(region="52", **QUARTER)
    assert rollup_figures(EVERYWHERE, f) is None  # never built
    rollup_build.refresh_rollup()
    assert rollup_figures(EVERYWHERE, f) is not None
    # No whole month in the period, a kecamatan: counted live.
    assert rollup_figures(EVERYWHERE, StatsFilters(region="52", start=date(2025, 10, 2), end=date(2025, 11, 29))) is None
    assert rollup_figures(EVERYWHERE, StatsFilters(region="52", start=date(2025, 11, 3), end=date(2025, 11, 20))) is None
    assert rollup_figures(EVERYWHERE, StatsFilters(region="52", start=date(2025, 10, 2), end=date(2025, 12, 15))) is not None
    assert rollup_figures(EVERYWHERE, StatsFilters(region="52.03.01", **QUARTER)) is None
    assert rollup_figures(Scope(roots=("52.03.01",), sees_people=True, sees_tickets=True),
                          StatsFilters(region="", **QUARTER)) is None
    # Another time zone than the desk's: its months are not the rollup's.
    with timezone.override("Asia/Jakarta"):
        assert rollup_figures(EVERYWHERE, f) is None
    # Smaller than the threshold: counted live, exactly.
    settings.DASHBOARD_ROLLUP_MIN_TICKETS = 7
    assert rollup_figures(EVERYWHERE, f) is None
    settings.DASHBOARD_ROLLUP_MIN_TICKETS = 6
    assert rollup_figures(EVERYWHERE, f) is not None
    # A month rebuilt longer ago than the snapshots' maximum age, or never (a new month began): counted live.
    RollupMonth.objects.filter(month="2025-12").update(computed_at=timezone.now() - timedelta(minutes=16))
    assert rollup_figures(EVERYWHERE, f) is None
    rollup_build.refresh_rollup()
    to_today = StatsFilters(region="52", start=date(2025, 10, 1), end=timezone.localdate())
    assert rollup_figures(EVERYWHERE, to_today) is not None
    RollupMonth.objects.filter(month=f"{timezone.localdate():%Y-%m}").delete()
    assert rollup_figures(EVERYWHERE, to_today) is None
    assert rollup_figures(EVERYWHERE, f) is not None  # a period that ended needs no newer month


@ON_POSTGRES
def test_the_dashboard_uses_the_rollup_and_says_the_times_are_approximate(dash: Dash, settings: Any) -> None:
    settings.DASHBOARD_ROLLUP_MIN_TICKETS = 0
    rollup_build.refresh_rollup()
    f = StatsFilters(region="52", category="kependudukan", **QUARTER)
    fig = dashboard_figures(EVERYWHERE, f)
    assert fig.computed_at is not None and fig.summary == {"opened": 3, "solved": 3, "open": 0}
    api = APIClient()
    api.force_authenticate(dash.admin)
    body = api.get("/api/v1/stats/", {"region": "52", "category": "kependudukan", "from": "2025-10-01",
                                       "to": "2025-12-31"}).json()
    assert body["first_response"]["approximate"] is True and body["first_response"]["n"] == 3
    page = Client()
    page.force_login(dash.admin)
    html = page.get("/dasbor/52/", {"category": "kependudukan", "from": "2025-10-01", "to": "2025-12-31"})
    assert "≈" in html.content.decode()
    settings.DASHBOARD_ROLLUP_MIN_TICKETS = 1000
    body = api.get("/api/v1/stats/", {"region": "52", "category": "kependudukan", "from": "2025-10-01",
                                       "to": "2025-12-31"}).json()
    assert body["first_response"]["approximate"] is False


@ON_POSTGRES
def test_a_rebuild_follows_the_tickets(dash: Dash, settings: Any) -> None:
    settings.DASHBOARD_ROLLUP_MIN_TICKETS = 0
    rollup_build.refresh_rollup()
    f = StatsFilters(region="52.06", **QUARTER)
    assert rollup_figures(EVERYWHERE, f).summary == {"opened": 1, "solved": 0, "open": 1}  # type: ignore[union-attr]
    Ticket.objects.filter(desa_id=D).update(status=Status.SELESAI, resolved_at=START + timedelta(days=2))
    assert rollup_build.refresh_rollup(budget=timedelta(seconds=30)) == 0  # rebuilt moments ago: not due yet
    assert rollup_build.refresh_rollup() >= 1
    assert rollup_figures(EVERYWHERE, f).summary == {"opened": 1, "solved": 1, "open": 0}  # type: ignore[union-attr]
    rows_before = TicketRollup.objects.count()
    rollup_build.refresh_rollup()
    assert TicketRollup.objects.count() == rows_before  # replaced, not added to


@ON_POSTGRES
@pytest.mark.django_db(transaction=True)
def test_two_rebuilds_of_a_month_at_once_leave_one_set_of_rows(settings: Any) -> None:
    settings.DASHBOARD_ROLLUP_MIN_TICKETS = 0
    build_world()
    with timezone.override(timezone.get_default_timezone()):
        results = run_together([lambda: rollup_build.rebuild_month("2025-11") for _ in range(3)])
    assert results == [None, None, None]
    assert TicketRollup.objects.filter(month="2025-11").aggregate(n=Sum("opened"))["n"] == 6
    assert VillageRollup.objects.filter(month="2025-11").aggregate(n=Sum("tickets"))["n"] == 6
