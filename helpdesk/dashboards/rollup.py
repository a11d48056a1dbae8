"""The dashboard's figures read from the ticket rollup: a filtered view of a province at 1M tickets in a fraction
of a second, where counting the tickets themselves takes seconds.

`rollup_build.py` keeps, per month of creation, the tickets counted per kabupaten, category, priority, forum and
finishing month (with both response times as histograms), per village and per volunteer. Any filter the
dashboard offers is then a sum over those rows for the period's whole months, plus the same sums counted live
over the partial months at its ends (`_live`: at most two months of a region's tickets), as long as:
- the period holds at least one whole month (to today or later counts as the whole current month);
- the region is the country, a province or a kabupaten (for no region: a scope whose roots all are);
- the request is in the desk's time zone, the figures the rollup holds;
- every month from the first ticket's to the period's end was rebuilt within the snapshots' maximum age;
- the view holds at least `DASHBOARD_ROLLUP_MIN_TICKETS` tickets. Below that the live figures come quickly, and
  they are exact: here the medians and p90 are read from the histograms (within 9 %, marked `approximate`).
Everything else is computed live (`selectors.live_figures`).
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from helpdesk.accounts.models import Forum, User
from helpdesk.categories.models import Category
from helpdesk.regions.models import Region
from helpdesk.tickets.models import Ticket

from .access import Scope
from .adoption import CODE_LENGTH
from .expressions import BUCKETS, ArrayItem
from .guard import figures_transaction
from .models import PersonRollup, RollupMonth, TicketRollup, VillageRollup
from .params import StatsFilters
from .percentiles import in_database, stats_from_histogram
from .rollup_build import COUNTED, inner_rows
from .selectors import (
    REPEAT_MIN_TICKETS,
    TOP_CATEGORIES,
    TOP_VILLAGES,
    Figures,
    csat_from,
    deflection,
    months_between,
    people_rows,
    series_of,
    ticket_rows,
    villages,
    with_sla,
)
from .snapshots import max_age

COUNTS = ("opened", "solved", "open", "fr_known", "fr_breached", "res_known", "res_breached")
SCORES = tuple(f"csat{k}" for k in range(1, 6))


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


@dataclass(frozen=True)
class Span:
    """A period as the rollup's whole months (`first`..`last`, `YYYY-MM`) and at most two partial months at its
    ends, counted live: `head` from the period's first day to the end of its month, `tail` from the first day of
    the last month to the period's end (instants in the current time zone)."""

    first: str
    last: str
    head: tuple[datetime, datetime] | None
    tail: tuple[datetime, datetime] | None


def split(f: StatsFilters, today: date) -> Span | None:
    """The period's whole months and partial ends, or None when it holds no whole month."""
    zone = timezone.get_current_timezone()

    def at(day: date) -> datetime:
        return datetime.combine(day, time.min, zone)

    first_day = f.start if f.start.day == 1 else _next_month(f.start)
    last_whole = f.end.day == calendar.monthrange(f.end.year, f.end.month)[1] or f.end >= today
    last_day = f.end.replace(day=1) if last_whole else (f.end.replace(day=1) - timedelta(days=1)).replace(day=1)
    if first_day > last_day:
        return None
    head = (f.since, at(first_day)) if f.start.day != 1 else None
    tail = None if last_whole else (at(f.end.replace(day=1)), f.until)
    return Span(first=_month(first_day), last=_month(last_day), head=head, tail=tail)


@dataclass
class Sums:
    """Figures' counts over some tickets, to be added together: the rollup's whole months and the live ends."""

    counts: Counter[str] = field(default_factory=Counter)  # COUNTS, SCORES and the histograms' buckets
    categories: dict[int, list[int]] = field(default_factory=dict)  # id: [tickets, solved]
    forums: dict[int, list[int]] = field(default_factory=dict)  # id: [tickets, open, solved]
    villages: Counter[str] = field(default_factory=Counter)  # desa code: tickets
    people: dict[tuple[int, str], list[float]] = field(default_factory=dict)  # (id, kind): as `PersonRollup`

    def add(self, other: Sums) -> None:
        self.counts.update(other.counts)
        self.villages.update(other.villages)
        for mine, theirs in ((self.categories, other.categories), (self.forums, other.forums),
                             (self.people, other.people)):
            _add_rows(mine, theirs)


def _add_rows(mine: dict[Any, Any], theirs: dict[Any, Any]) -> None:
    """Add `theirs` to `mine`, row by row (a row is a list of counts under its key)."""
    for key, values in theirs.items():
        mine[key] = [a + b for a, b in zip(mine.get(key, [0] * len(values)), values, strict=True)]


def _regions(scope: Scope, f: StatsFilters) -> list[str] | None:
    """The regions the view covers ([''] = the whole country), or None when one lies below a kabupaten."""
    codes = [f.region] if f.region or scope.roots is None else list(scope.roots)
    if any(len(code) > CODE_LENGTH[2] for code in codes):
        return None
    return codes


def _region_q(codes: list[str], column: str) -> Q:
    """Rows at or under any of `codes` ('' = the whole country); no codes, no rows (a scope without regions)."""
    q = Q(pk__in=[])
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


def _stored(rows: QuerySet[Any], village_rows: QuerySet[Any], people_rows_: QuerySet[Any], *,
            all_villages: bool) -> Sums:
    """The rollup's sums over whole months (the villages only as far as `_keep_asking` needs them, unless
    `all_villages`: live ends will add to them)."""
    sums = Sums()
    c = rows.aggregate(**{name: Sum(name) for name in COUNTS},
                       **{f"{column}{k}": Sum(ArrayItem(column, k)) for column in ("fr_hist", "res_hist")
                          for k in range(BUCKETS)},
                       **{name: Sum(ArrayItem("csat", k)) for k, name in enumerate(SCORES)})
    sums.counts.update({name: value for name, value in c.items() if value})
    for r in rows.values("category_id").annotate(t=Sum("opened"), s=Sum("solved")).order_by():
        sums.categories[r["category_id"]] = [r["t"], r["s"]]
    for r in rows.values("forum_id").annotate(t=Sum("opened"), o=Sum("open"), s=Sum("solved")).order_by():
        sums.forums[r["forum_id"]] = [r["t"], r["o"], r["s"]]
    grouped = village_rows.values("desa_id").annotate(t=Sum("tickets")).order_by()
    if not all_villages:
        grouped = grouped.filter(t__gte=REPEAT_MIN_TICKETS).order_by("-t", "desa_id")[:TOP_VILLAGES]
    sums.villages.update({r["desa_id"]: r["t"] for r in grouped})
    for r in people_rows_.values("person_id", "kind").annotate(
            t=Sum("tickets"), o=Sum("open"), s=Sum("solved"), n=Sum("first_n"), sec=Sum("first_seconds")).order_by():
        sums.people[(r["person_id"], r["kind"])] = [r["t"], r["o"], r["s"], r["n"], r["sec"]]
    return sums


def _live(tickets: QuerySet[Ticket], since: datetime, until: datetime) -> Sums:
    """The same sums, counted now from the tickets created in [since, until): a partial month at a period's end."""
    inner_sql, params = inner_rows(tickets, since, until)
    sql = f"""
        SELECT GROUPING(category_id, forum_id, desa_id, assignee_id, author, fb, rb), category_id, forum_id, desa_id,
               assignee_id, author, fb, rb, {COUNTED}, COUNT(span), COALESCE(SUM(span), 0)
        FROM ({inner_sql}) AS t
        GROUP BY GROUPING SETS ((), (category_id), (forum_id), (desa_id), (assignee_id), (author), (fb), (rb))
    """  # noqa: S608 -- the inner SQL and its parameters come from the ORM, the rest is fixed text
    sums = Sums()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for (grp, category, forum, desa, assignee, author, fb, rb, n, solved, open_, *sla_scores, first_n,
             first_seconds) in cursor.fetchall():
            if grp == 0b1111111:
                sums.counts.update(dict(zip(COUNTS + SCORES, (n, solved, open_, *sla_scores), strict=True)))
            elif grp == 0b0111111:
                sums.categories[category] = [n, solved]
            elif grp == 0b1011111:
                sums.forums[forum] = [n, open_, solved]
            elif grp == 0b1101111:
                sums.villages[desa] = n
            elif grp == 0b1110111 and assignee is not None:
                sums.people[(assignee, "a")] = [n, open_, solved, first_n, first_seconds]
            elif grp == 0b1111011 and author is not None:
                sums.people[(author, "x")] = [n, 0, 0, 0, 0.0]
            elif grp == 0b1111101 and fb is not None:
                sums.counts[f"fr_hist{fb}"] += n
            elif grp == 0b1111110 and rb is not None:
                sums.counts[f"res_hist{rb}"] += n
    return sums


def _start_of_month(at: datetime) -> datetime:
    return datetime.combine(timezone.localtime(at).date().replace(day=1), time.min, timezone.get_current_timezone())


def _ends_finished(tickets: QuerySet[Ticket], span: Span) -> dict[str, int]:
    """In one query: the tickets finished within each partial end month (whenever created) and how many of them
    solved; for the first, how many of those were created before its month, and how many created in its month
    before the period began were still open when it did."""
    done_in: dict[str, Q] = {key: Q(done__gte=end[0], done__lt=end[1]) for key, end in
                             (("head", span.head), ("tail", span.tail)) if end is not None}
    counts: dict[str, Any] = {}
    for key, q in done_in.items():
        counts[f"{key}_done"] = Count("pk", filter=q)
        counts[f"{key}_solved"] = Count("pk", filter=q & Q(resolved_at__isnull=False))
    where = Q(pk__in=[])
    for q in done_in.values():
        where |= q
    if span.head is not None:
        since, month_start = span.head[0], _start_of_month(span.head[0])
        early = Q(created_at__gte=month_start, created_at__lt=since)
        where |= early
        counts["finished_from_before"] = Count("pk", filter=done_in["head"] & Q(created_at__lt=month_start))
        counts["open_from_early"] = Count("pk", filter=early & (Q(done__isnull=True) | Q(done__gte=since)))
    return tickets.annotate(done=Coalesce("resolved_at", "closed_at")).filter(where).aggregate(**counts)


def _month_series(undated: QuerySet[Any], tickets: QuerySet[Ticket], span: Span, sums: dict[str, Sums],
                  months: list[str]) -> list[dict[str, Any]]:
    """Opened and solved per month, and open at each month's end, from the whole months and the live ends."""
    opened = dict(undated.filter(month__gte=span.first, month__lte=span.last).values("month")
                  .annotate(n=Sum("opened")).values_list("month", "n").order_by())
    done, solved = {}, {}
    for month, n_done, n_solved in (undated.filter(done_month__gte=span.first, done_month__lte=span.last)
                                    .values("done_month").annotate(n=Sum("opened"), s=Sum("solved"))
                                    .values_list("done_month", "n", "s").order_by()):
        done[month], solved[month] = n_done, n_solved
    ends = _ends_finished(tickets, span) if span.head or span.tail else {}
    before = undated.filter(month__lt=span.first)
    if span.head is None:
        carried = before.filter(Q(done_month="") | Q(done_month__gte=span.first)).aggregate(n=Sum("opened"))["n"] or 0
    else:
        head_month = _month(timezone.localtime(span.head[0]).date())
        # Open when the period began: created in an earlier month and not finished by the end of the first month,
        # or finished within it after the period began; or created in the first month before that, not finished.
        carried = (before.filter(month__lt=head_month).filter(Q(done_month="") | Q(done_month__gt=head_month))
                   .aggregate(n=Sum("opened"))["n"] or 0)
        carried += ends["finished_from_before"] + ends["open_from_early"]
    for key, end in (("head", span.head), ("tail", span.tail)):
        if end is not None:
            month = _month(timezone.localtime(end[0]).date())
            opened[month] = sums[key].counts["opened"]
            done[month], solved[month] = ends[f"{key}_done"], ends[f"{key}_solved"]
    return series_of(months, opened, solved, done, carried)


def _categories(sums: Sums) -> list[dict[str, Any]]:
    names = {c["id"]: c for c in Category.objects.filter(pk__in=list(sums.categories)).values("id", "slug", "name")}
    rows: list[dict[str, Any]] = [{"slug": names[pk]["slug"], "name": names[pk]["name"], "tickets": t, "solved": s}
                                  for pk, (t, s) in sums.categories.items() if pk in names and t]
    return sorted(rows, key=lambda r: (-r["tickets"], r["slug"]))[:TOP_CATEGORIES]


def _forums(sums: Sums) -> list[dict[str, Any]]:
    names = dict(Forum.objects.filter(pk__in=list(sums.forums)).values_list("id", "name"))
    rows = [{"id": pk, "name": names.get(pk), "tickets": t, "open": o, "solved": s}
            for pk, (t, o, s) in sums.forums.items() if t]
    return sorted(rows, key=lambda r: (-r["tickets"], r["name"] or ""))


def _keep_asking(sums: Sums) -> list[dict[str, Any]]:
    top = sorted(((code, n) for code, n in sums.villages.items() if n >= REPEAT_MIN_TICKETS),
                 key=lambda item: (-item[1], item[0]))[:TOP_VILLAGES]
    names = dict(Region.objects.filter(code__in=[code for code, _ in top]).values_list("code", "name"))
    return [{"code": code, "name": names.get(code), "tickets": n} for code, n in top]


def _volunteers(sums: Sums) -> list[dict[str, Any]]:
    users = {u["id"]: u for u in User.objects.filter(pk__in={pk for pk, _ in sums.people})
             .values("id", "name", "username")}
    data, accepted = [], []
    for (pk, kind), (tickets, open_, solved, first_n, first_seconds) in sums.people.items():
        user = users.get(pk)
        if user is None:
            continue
        if kind == "a":
            data.append({"assignee_id": pk, "assignee__name": user["name"], "assignee__username": user["username"],
                         "assigned": tickets, "open": open_, "solved": solved,
                         "avg_first": first_seconds / first_n if first_n else None})
        else:
            accepted.append({"accepted_message__author_id": pk, "accepted_message__author__name": user["name"],
                             "accepted_message__author__username": user["username"], "n": tickets})
    return people_rows(data, accepted)


def rollup_figures(scope: Scope, f: StatsFilters) -> Figures | None:
    """The figures from the rollup, or None when it cannot serve them (the module's docstring says when)."""
    if not in_database():
        return None
    if timezone.get_current_timezone_name() != timezone.get_default_timezone_name():
        return None
    today = timezone.localdate()
    codes = _regions(scope, f)
    span = split(f, today) if codes is not None else None
    if codes is None or span is None:
        return None
    computed_at = fresh_as_of(span.last, today)
    if computed_at is None:
        return None
    with figures_transaction(timeout_ms=settings.DASHBOARD_STATEMENT_TIMEOUT_MS):
        undated = _filtered(TicketRollup, f, _region_q(codes, "kabupaten"))
        rows = undated.filter(month__gte=span.first, month__lte=span.last)
        opened = rows.aggregate(n=Sum("opened"))["n"] or 0
        tickets = ticket_rows(scope, f, dated=False)
        ends = {key: _live(tickets, *end) if end else Sums() for key, end in (("head", span.head), ("tail", span.tail))}
        if opened + ends["head"].counts["opened"] + ends["tail"].counts["opened"] < settings.DASHBOARD_ROLLUP_MIN_TICKETS:
            return None
        edges = bool(span.head or span.tail)
        sums = _stored(rows, _filtered(VillageRollup, f, _region_q(codes, "desa_id")).filter(
            month__gte=span.first, month__lte=span.last), _filtered(PersonRollup, f, _region_q(codes, "kabupaten"))
            .filter(month__gte=span.first, month__lte=span.last), all_villages=edges)
        for end in ends.values():
            sums.add(end)
        c = sums.counts
        first = stats_from_histogram([c[f"fr_hist{k}"] for k in range(BUCKETS)]).as_dict()
        resolution = stats_from_histogram([c[f"res_hist{k}"] for k in range(BUCKETS)]).as_dict()
        with_sla(c, first, resolution)
        return Figures(
            filters=f, computed_at=computed_at,
            summary={"opened": c["opened"], "solved": c["solved"], "open": c["open"]},
            first_response=first, resolution=resolution,
            months=_month_series(undated, tickets, span, ends, months_between(f.start, f.end)),
            categories=_categories(sums), forums=_forums(sums),
            csat=csat_from({k: c[f"csat{k}"] for k in range(1, 6)}),
            villages=villages(scope, f, tickets, _keep_asking(sums)),
            deflection=deflection(scope, f),
            volunteers=_volunteers(sums) if scope.sees_people else None,
        )
