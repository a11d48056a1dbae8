"""The dashboard's ticket figures for one scope and set of filters: a fixed number of aggregate queries.

Nothing here returns ticket text. Volunteers' names and figures are only computed for a scope that may see
people (coordinators, admins); planners get forums instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from helpdesk.regions.models import Region
from helpdesk.tickets.models import OPEN_STATUSES, Ticket

from .access import Scope
from .expressions import EpochSeconds, MonthKey
from .grouped import grouped_counts
from .guard import figures_transaction
from .params import StatsFilters
from .percentiles import duration_stats, in_database, percentile_aggregates, stats_from

TOP_CATEGORIES = 10
TOP_VILLAGES = 10
NEVER_ASKED_SHOWN = 20
REPEAT_MIN_TICKETS = 3  # a village "keeps asking" from this many tickets in the period


def region_q(code: str, path: str = "desa") -> Q:
    """Rows at or under region `code`; `path` leads to a Region ('' for regions themselves).

    `desa__code` is the foreign key's own column: Django needs no join for it.
    """
    column = f"{path}__code" if path else "code"
    return Q(**{column: code}) | Q(**{f"{column}__startswith": f"{code}."})


def scope_q(scope: Scope, region: str, path: str = "desa") -> Q:
    """Rows inside the asked region, or inside the scope's roots when no region was asked."""
    if region:
        return region_q(region, path)
    if scope.roots is None:
        return Q()
    q = Q(pk__in=[])
    for root in scope.roots:
        q |= region_q(root, path)
    return q


def ticket_rows(scope: Scope, f: StatsFilters, *, dated: bool = True) -> QuerySet[Ticket]:
    """The tickets behind the figures: in scope, matching the filters, created in the period if `dated`."""
    qs = Ticket.objects.filter(scope_q(scope, f.region))
    if dated:
        qs = qs.filter(created_at__gte=f.since, created_at__lt=f.until)
    if f.forum:
        qs = qs.filter(forum_id=f.forum)
    if f.category:
        qs = qs.filter(category__slug=f.category)
    if f.priority:
        qs = qs.filter(priority=f.priority)
    return qs


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def months_between(start: date, end: date) -> list[str]:
    keys, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def _done() -> Any:
    return Coalesce("resolved_at", "closed_at")


@dataclass
class Figures:
    filters: StatsFilters
    summary: dict[str, Any]
    first_response: dict[str, Any]
    resolution: dict[str, Any]
    months: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    forums: list[dict[str, Any]]
    csat: dict[str, Any]
    villages: dict[str, Any]
    deflection: dict[str, Any] | None
    volunteers: list[dict[str, Any]] | None = field(default=None)
    # When the figures come from a snapshot (`snapshots.py`): the time it was computed. None = computed now.
    computed_at: datetime | None = field(default=None)


OPEN_Q = Q(status__in=OPEN_STATUSES)


def sla_conditions() -> dict[str, Q]:
    """Which tickets count toward each SLA rate now, and which of those breached it (`known` & `breached`).

    A ticket still open past its due time has breached, and counts, before it is answered or solved."""
    now = timezone.now()
    fr_breached = Q(first_response_at__gt=F("first_response_due")) | Q(
        OPEN_Q, first_response_at__isnull=True, first_response_due__lt=now
    )
    fr_known = Q(first_response_due__isnull=False) & (
        Q(first_response_at__isnull=False) | Q(OPEN_Q, first_response_due__lt=now)
    )
    res_breached = Q(resolved_at__gt=F("resolution_due")) | Q(OPEN_Q, resolved_at__isnull=True, resolution_due__lt=now)
    res_known = Q(resolution_due__isnull=False) & (Q(resolved_at__isnull=False) | Q(OPEN_Q, resolution_due__lt=now))
    return {"fr_known": fr_known, "fr_breached": fr_known & fr_breached,
            "res_known": res_known, "res_breached": res_known & res_breached}


def with_sla(summary: dict[str, Any], first: dict[str, Any], resolution: dict[str, Any]) -> None:
    """Add the SLA counts (`summary`'s `fr_known` ... `res_breached`) and rates to both response times."""
    for figures, name in ((first, "fr"), (resolution, "res")):
        known, breached = summary[f"{name}_known"], summary[f"{name}_breached"]
        figures.update(measured=known, breached=breached, breach_rate=_rate(breached, known))


def summary_and_sla(rows: QuerySet[Ticket]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Counts, SLA breaches, and median and p90 of both response times: one scan on PostgreSQL, three on SQLite."""
    c = rows.aggregate(
        opened=Count("pk"),
        solved=Count("pk", filter=Q(resolved_at__isnull=False)),
        open=Count("pk", filter=OPEN_Q),
        **{name: Count("pk", filter=q) for name, q in sla_conditions().items()},
        **(percentile_aggregates("fr", "created_at", "first_response_at")
           | percentile_aggregates("res", "created_at", "resolved_at") if in_database() else {}),
    )
    summary = {"opened": c["opened"], "solved": c["solved"], "open": c["open"]}
    if in_database():
        first, resolution = stats_from(c, "fr").as_dict(), stats_from(c, "res").as_dict()
    else:
        first = duration_stats(rows, "created_at", "first_response_at").as_dict()
        resolution = duration_stats(rows, "created_at", "resolved_at").as_dict()
    with_sla(c, first, resolution)
    return summary, first, resolution


def month_series(scope: Scope, f: StatsFilters, opened: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Per month: opened, solved, and open at the month's end (open before the period plus the running balance).

    `opened` (per month) when already counted (`grouped.py`)."""
    undated = ticket_rows(scope, f, dated=False)
    period = Q(created_at__gte=f.since, created_at__lt=f.until)
    if opened is None:
        opened = dict(undated.filter(period).annotate(m=MonthKey("created_at")).values("m").annotate(n=Count("pk"))
                      .values_list("m", "n").order_by())
    # A ticket with `resolved_at` was finished then (`done` = COALESCE(resolved_at, closed_at)), so the solved
    # ones are the finished ones with `resolved_at`: one pass over the period's finished tickets counts both.
    solved, done = {}, {}
    for month, n_done, n_solved in (
        undated.annotate(done=_done()).filter(done__gte=f.since, done__lt=f.until).annotate(m=MonthKey("done"))
        .values("m").annotate(n=Count("pk"), s=Count("pk", filter=Q(resolved_at__isnull=False)))
        .values_list("m", "n", "s").order_by()
    ):
        done[month], solved[month] = n_done, n_solved
    carried = undated.filter(created_at__lt=f.since).annotate(done=_done()).filter(
        Q(done__isnull=True) | Q(done__gte=f.since)
    ).count()
    return series_of(months_between(f.start, f.end), opened, solved, done, carried)


def series_of(months: list[str], opened: dict[str, int], solved: dict[str, int], done: dict[str, int],
              carried: int) -> list[dict[str, Any]]:
    """Per month: opened, solved, and open at its end (`carried` open before the first month, plus the running
    balance of opened less finished, `done`)."""
    series, balance = [], carried
    for key in months:
        balance += opened.get(key, 0) - done.get(key, 0)
        series.append({"month": key, "opened": opened.get(key, 0), "solved": solved.get(key, 0), "open_end": balance})
    return series


def top_categories(rows: QuerySet[Ticket]) -> list[dict[str, Any]]:
    data = (rows.values("category__slug", "category__name")
            .annotate(tickets=Count("pk"), solved=Count("pk", filter=Q(resolved_at__isnull=False)))
            .order_by("-tickets", "category__slug")[:TOP_CATEGORIES])
    return [{"slug": r["category__slug"], "name": r["category__name"], "tickets": r["tickets"], "solved": r["solved"]}
            for r in data]


def forum_rows(rows: QuerySet[Ticket]) -> list[dict[str, Any]]:
    data = (rows.values("forum_id", "forum__name")
            .annotate(tickets=Count("pk"), open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
                      solved=Count("pk", filter=Q(resolved_at__isnull=False)))
            .order_by("-tickets", "forum__name"))
    return [{"id": r["forum_id"], "name": r["forum__name"], "tickets": r["tickets"], "open": r["open"],
             "solved": r["solved"]} for r in data]


def csat(rows: QuerySet[Ticket]) -> dict[str, Any]:
    counts = dict(rows.filter(rating__isnull=False).values("rating__score").annotate(n=Count("pk"))
                  .values_list("rating__score", "n").order_by())
    return csat_from(counts)


def csat_from(counts: dict[int, int]) -> dict[str, Any]:
    """The CSAT figures from how many tickets got each score (1 to 5)."""
    n = sum(counts.values())
    total = sum(score * k for score, k in counts.items())
    return {"n": n, "average": round(total / n, 2) if n else None,
            "satisfied_rate": _rate(counts.get(4, 0) + counts.get(5, 0), n),
            "distribution": {str(score): counts.get(score, 0) for score in range(1, 6)}}


def volunteer_rows(rows: QuerySet[Ticket], data: Any = None) -> list[dict[str, Any]]:
    """Workload, first response and accepted answers per volunteer (two queries; one when the workload per
    assignee, `data`, was already counted by `grouped.py`)."""
    span = EpochSeconds("created_at", "first_response_at")
    if data is None:
        data = (rows.filter(assignee__isnull=False)
                .values("assignee_id", "assignee__name", "assignee__username")
                .annotate(assigned=Count("pk"), open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
                          solved=Count("pk", filter=Q(resolved_at__isnull=False)),
                          avg_first=Avg(span, filter=Q(first_response_at__isnull=False)))
                .order_by())
    accepted = (rows.filter(accepted_message__author__isnull=False)
                .values("accepted_message__author_id", "accepted_message__author__name",
                        "accepted_message__author__username")
                .annotate(n=Count("pk")).order_by())
    return people_rows(data, accepted)


def people_rows(data: Any, accepted: Any) -> list[dict[str, Any]]:
    """Per volunteer, from their assigned tickets (`data`, with `avg_first` in seconds) and the answers of theirs
    that were accepted (`accepted`), named as `volunteer_rows` names them."""
    people: dict[int, dict[str, Any]] = {}
    for r in data:
        avg = r["avg_first"]  # seconds
        people[r["assignee_id"]] = {
            "id": r["assignee_id"], "name": r["assignee__name"] or r["assignee__username"], "assigned": r["assigned"],
            "open": r["open"], "solved": r["solved"], "accepted_answers": 0,
            "avg_first_response_minutes": round(avg / 60, 1) if avg is not None else None,
        }
    for r in accepted:
        person = people.setdefault(r["accepted_message__author_id"], {
            "id": r["accepted_message__author_id"],
            "name": r["accepted_message__author__name"] or r["accepted_message__author__username"],
            "assigned": 0, "open": 0, "solved": 0, "accepted_answers": 0, "avg_first_response_minutes": None,
        })
        person["accepted_answers"] = r["n"]
    # Accepted answers written by the village's own operator are not a volunteer's work.
    return sorted((p for p in people.values() if p["assigned"] or p["accepted_answers"]),
                  key=lambda p: (-p["assigned"], -p["accepted_answers"], p["name"]))


def villages(scope: Scope, f: StatsFilters, rows: QuerySet[Ticket],
             keep_asking: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Villages in the region that never filed a ticket, and the ones that keep asking in the period (given when
    already counted by `grouped.py`)."""
    in_scope = Region.objects.filter(scope_q(scope, f.region, ""), level=4).annotate(
        asked=Exists(Ticket.objects.filter(desa_id=OuterRef("code")))
    )
    counts = in_scope.aggregate(total=Count("code"), never=Count("code", filter=Q(asked=False)))
    never = list(in_scope.filter(asked=False).order_by("code").values("code", "name")[:NEVER_ASKED_SHOWN])
    # Grouped by the ticket's own column and named per group: a join to the regions before grouping makes
    # PostgreSQL walk the tickets village by village through an index, several times slower than one scan.
    if keep_asking is None:
        name = Subquery(Region.objects.filter(code=OuterRef("desa_id")).values("name")[:1])
        repeat = (rows.values("desa_id").annotate(tickets=Count("pk")).filter(tickets__gte=REPEAT_MIN_TICKETS)
                  .annotate(desa__name=name).order_by("-tickets", "desa_id")[:TOP_VILLAGES])
        keep_asking = [{"code": r["desa_id"], "name": r["desa__name"], "tickets": r["tickets"]} for r in repeat]
    return {
        "total": counts["total"], "never_asked": counts["never"],
        "never_asked_rate": _rate(counts["never"], counts["total"]),
        "never_asked_list": never,
        "repeat_min_tickets": REPEAT_MIN_TICKETS,
        "keep_asking": keep_asking,
    }


def deflection(scope: Scope, f: StatsFilters) -> dict[str, Any] | None:
    """Knowledge-base suggestions opened with no ticket following, when the knowledge base is installed.

    Read through the app registry: the knowledge base is a sibling app, and the dashboard only counts its rows.
    Within a region only signed-in people's sessions can be placed (by their desa).
    """
    if not apps.is_installed("helpdesk.kb"):
        return None
    log = apps.get_model("kb", "DeflectionLog")
    qs = log.objects.filter(shown_at__gte=f.since, shown_at__lt=f.until)
    if f.region or scope.roots is not None:
        qs = qs.filter(scope_q(scope, f.region, "user__desa"))
    c = qs.aggregate(shown=Count("pk"), opened=Count("pk", filter=Q(opened_at__isnull=False)),
                     deflected=Count("pk", filter=Q(opened_at__isnull=False, filed_at__isnull=True)))
    return {**c, "deflection_rate": _rate(c["deflected"], c["opened"])}


def live_figures(scope: Scope, f: StatsFilters, *, timeout_ms: int | None = None) -> Figures:
    """Every figure, computed now from the tickets, in one transaction (`guard.py`): with `timeout_ms` a query
    running longer raises `FiguresTooSlow` (503)."""
    rows = ticket_rows(scope, f)
    with figures_transaction(timeout_ms=timeout_ms):
        summary, first, resolution = summary_and_sla(rows)
        if in_database():  # PostgreSQL: five groupings in one pass
            g = grouped_counts(rows, top_categories=TOP_CATEGORIES, top_villages=TOP_VILLAGES,
                               repeat_min=REPEAT_MIN_TICKETS)
            return Figures(
                filters=f, summary=summary, first_response=first, resolution=resolution,
                months=month_series(scope, f, g.opened_by_month), categories=g.categories, forums=g.forums,
                csat=csat(rows), villages=villages(scope, f, rows, g.keep_asking), deflection=deflection(scope, f),
                volunteers=volunteer_rows(rows, g.assignees) if scope.sees_people else None,
            )
        return Figures(
            filters=f, summary=summary, first_response=first, resolution=resolution,
            months=month_series(scope, f), categories=top_categories(rows), forums=forum_rows(rows), csat=csat(rows),
            villages=villages(scope, f, rows), deflection=deflection(scope, f),
            volunteers=volunteer_rows(rows) if scope.sees_people else None,
        )
