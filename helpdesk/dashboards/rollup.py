"""The dashboard's figures read from the ticket rollup: a filtered view of a province at 1M tickets in a fraction
of a second, where counting the tickets themselves takes seconds.

`rollup_build.py` keeps, per month of creation, the tickets counted per kabupaten, category, priority, forum and
finishing month (with both response times as histograms), per village and per volunteer. Any filter the
dashboard offers is then a sum over those rows, as long as:
- the period is whole months (from the first of a month to the end of a month, or to today or later);
- the region is the country, a province or a kabupaten (for no region: a scope whose roots all are);
- the request is in the desk's time zone, the figures the rollup holds;
- every month from the first ticket's to the period's end was rebuilt within the snapshots' maximum age;
- the view holds at least `DASHBOARD_ROLLUP_MIN_TICKETS` tickets. Below that the live figures come quickly, and
  they are exact: here the medians and p90 are read from the histograms (within 9 %, marked `approximate`).
Everything else is computed live (`selectors.live_figures`).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from helpdesk.accounts.models import Forum, User
from helpdesk.categories.models import Category
from helpdesk.regions.models import Region

from .access import Scope
from .adoption import CODE_LENGTH
from .expressions import BUCKETS, ArrayItem
from .guard import figures_transaction
from .models import PersonRollup, RollupMonth, TicketRollup, VillageRollup
from .params import StatsFilters
from .percentiles import in_database, stats_from_histogram
from .selectors import (
    REPEAT_MIN_TICKETS,
    TOP_CATEGORIES,
    TOP_VILLAGES,
    Figures,
    csat_from,
    deflection,
    months_between,
    people_rows,
    villages,
    with_sla,
)
from .snapshots import max_age

COUNTS = ("opened", "solved", "open", "fr_known", "fr_breached", "res_known", "res_breached")


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _whole_months(f: StatsFilters, today: date) -> bool:
    last_day = calendar.monthrange(f.end.year, f.end.month)[1]
    return f.start.day == 1 and (f.end.day == last_day or f.end >= today)


def _regions(scope: Scope, f: StatsFilters) -> list[str] | None:
    """The regions the view covers ([''] = the whole country), or None when one lies below a kabupaten."""
    codes = [f.region] if f.region or scope.roots is None else list(scope.roots)
    if any(len(code) > CODE_LENGTH[2] for code in codes):
        return None
    return codes


def _region_q(codes: list[str], column: str) -> Q:
    q = Q(pk__in=[]) if codes else Q()
    for code in codes:
        if not code:
            return Q()
        q |= Q(**{column: code}) | Q(**{f"{column}__startswith": f"{code}."})
    return q


def _filtered(model: Any, f: StatsFilters, region: Q) -> QuerySet[Any]:
    qs = model.objects.filter(region)
    if f.forum:
        qs = qs.filter(forum_id=f.forum)
    if f.category:
        qs = qs.filter(category_id__in=Category.objects.filter(slug=f.category).values("id"))
    if f.priority:
        qs = qs.filter(priority=f.priority)
    return qs


def fresh_as_of(end_month: str, today: date) -> datetime | None:
    """When the oldest month the figures need was rebuilt, or None if one is missing or older than allowed."""
    months = RollupMonth.objects.filter(month__lte=end_month)
    seen = months.aggregate(first=Min("month"), oldest=Min("computed_at"), n=Count("month"))
    if seen["first"] is None:
        return None
    year, month = int(seen["first"][:4]), int(seen["first"][5:])
    wanted = months_between(date(year, month, 1), min(today, date(int(end_month[:4]), int(end_month[5:]), 1)))
    if seen["n"] != len(wanted) or seen["oldest"] < timezone.now() - max_age():
        return None
    return seen["oldest"]


def _hist_sums(name: str) -> dict[str, Any]:
    return {f"{name}{k}": Sum(ArrayItem(name, k)) for k in range(BUCKETS)}


def _month_series(rows: QuerySet[Any], start: str, end: str, months: list[str]) -> list[dict[str, Any]]:
    opened = dict(rows.filter(month__gte=start, month__lte=end).values("month").annotate(n=Sum("opened"))
                  .values_list("month", "n").order_by())
    done, solved = {}, {}
    for month, n_done, n_solved in (rows.filter(done_month__gte=start, done_month__lte=end).values("done_month")
                                    .annotate(n=Sum("opened"), s=Sum("solved"))
                                    .values_list("done_month", "n", "s").order_by()):
        done[month], solved[month] = n_done, n_solved
    carried = rows.filter(Q(done_month="") | Q(done_month__gte=start), month__lt=start).aggregate(
        n=Sum("opened"))["n"] or 0
    series, balance = [], carried
    for key in months:
        balance += opened.get(key, 0) - done.get(key, 0)
        series.append({"month": key, "opened": opened.get(key, 0), "solved": solved.get(key, 0), "open_end": balance})
    return series


def _field_of(model: Any, column: str, field: str) -> Subquery:
    """`field` of the `model` row whose key is in `column` (the rollup keeps ids, the figures show names)."""
    return Subquery(model.objects.filter(pk=OuterRef(column)).values(field)[:1])


def _categories(rows: QuerySet[Any]) -> list[dict[str, Any]]:
    grouped = rows.values("category_id").annotate(
        tickets=Sum("opened"), solved=Sum("solved"), slug=_field_of(Category, "category_id", "slug"),
        name=_field_of(Category, "category_id", "name"))
    return [{"slug": r["slug"], "name": r["name"], "tickets": r["tickets"], "solved": r["solved"]}
            for r in grouped.order_by("-tickets", "slug")[:TOP_CATEGORIES]]


def _forums(rows: QuerySet[Any]) -> list[dict[str, Any]]:
    grouped = rows.values("forum_id").annotate(tickets=Sum("opened"), open=Sum("open"), solved=Sum("solved"),
                                               name=_field_of(Forum, "forum_id", "name"))
    return [{"id": r["forum_id"], "name": r["name"], "tickets": r["tickets"], "open": r["open"],
             "solved": r["solved"]} for r in grouped.order_by("-tickets", "name")]


def _keep_asking(rows: QuerySet[Any]) -> list[dict[str, Any]]:
    grouped = (rows.values("desa_id").annotate(tickets=Sum("tickets")).filter(tickets__gte=REPEAT_MIN_TICKETS)
               .order_by("-tickets", "desa_id")[:TOP_VILLAGES])
    names = dict(Region.objects.filter(code__in=[r["desa_id"] for r in grouped]).values_list("code", "name"))
    return [{"code": r["desa_id"], "name": names.get(r["desa_id"]), "tickets": r["tickets"]} for r in grouped]


def _volunteers(rows: QuerySet[Any]) -> list[dict[str, Any]]:
    grouped = list(rows.values("person_id", "kind").annotate(
        tickets=Sum("tickets"), open=Sum("open"), solved=Sum("solved"), first_n=Sum("first_n"),
        first_seconds=Sum("first_seconds")).order_by())
    users = {u["id"]: u for u in User.objects.filter(pk__in={r["person_id"] for r in grouped})
             .values("id", "name", "username")}
    data, accepted = [], []
    for r in grouped:
        user = users.get(r["person_id"])
        if user is None:
            continue
        if r["kind"] == "a":
            data.append({"assignee_id": r["person_id"], "assignee__name": user["name"],
                         "assignee__username": user["username"], "assigned": r["tickets"], "open": r["open"],
                         "solved": r["solved"],
                         "avg_first": r["first_seconds"] / r["first_n"] if r["first_n"] else None})
        else:
            accepted.append({"accepted_message__author_id": r["person_id"],
                             "accepted_message__author__name": user["name"],
                             "accepted_message__author__username": user["username"], "n": r["tickets"]})
    return people_rows(data, accepted)


def rollup_figures(scope: Scope, f: StatsFilters) -> Figures | None:
    """The figures from the rollup, or None when it cannot serve them (the module's docstring says when)."""
    if not in_database():
        return None
    if timezone.get_current_timezone_name() != timezone.get_default_timezone_name():
        return None
    today = timezone.localdate()
    codes = _regions(scope, f)
    if codes is None or not _whole_months(f, today):
        return None
    start, end = _month(f.start), _month(f.end)
    computed_at = fresh_as_of(end, today)
    if computed_at is None:
        return None
    with figures_transaction(timeout_ms=settings.DASHBOARD_STATEMENT_TIMEOUT_MS):
        undated = _filtered(TicketRollup, f, _region_q(codes, "kabupaten"))
        rows = undated.filter(month__gte=start, month__lte=end)
        c = rows.aggregate(**{name: Sum(name) for name in COUNTS}, **_hist_sums("fr_hist"), **_hist_sums("res_hist"),
                           **{f"csat{k}": Sum(ArrayItem("csat", k - 1)) for k in range(1, 6)})
        c = {name: value or 0 for name, value in c.items()}
        if c["opened"] < settings.DASHBOARD_ROLLUP_MIN_TICKETS:
            return None
        first = stats_from_histogram([c[f"fr_hist{k}"] for k in range(BUCKETS)]).as_dict()
        resolution = stats_from_histogram([c[f"res_hist{k}"] for k in range(BUCKETS)]).as_dict()
        with_sla(c, first, resolution)
        village_rows = _filtered(VillageRollup, f, _region_q(codes, "desa_id")).filter(month__gte=start, month__lte=end)
        people = _filtered(PersonRollup, f, _region_q(codes, "kabupaten")).filter(month__gte=start, month__lte=end)
        return Figures(
            filters=f, computed_at=computed_at,
            summary={"opened": c["opened"], "solved": c["solved"], "open": c["open"]},
            first_response=first, resolution=resolution,
            months=_month_series(undated, start, end, months_between(f.start, f.end)),
            categories=_categories(rows), forums=_forums(rows),
            csat=csat_from({k: c[f"csat{k}"] for k in range(1, 6)}),
            villages=villages(scope, f, rows, _keep_asking(village_rows)),
            deflection=deflection(scope, f),
            volunteers=_volunteers(people) if scope.sees_people else None,
        )
