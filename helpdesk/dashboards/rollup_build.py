"""Rebuilding the ticket rollup (`rollup.py`) month by month: the periodic job and `manage.py dashboards_refresh`.

One month's tickets (by the month they were created, in the desk's zone) are read once on PostgreSQL and counted
with `GROUPING SETS`: per kabupaten, category, priority, forum and finishing month (the counts, the SLA breaches
as of now, the CSAT scores) and the same with each response time's histogram bucket, read into Python to make
the histograms; per village, per assigned volunteer and per author of the accepted answer, written by the
database itself in the same statement. The month's old rows are replaced in one transaction, under an advisory lock,
so two rebuilds of the same month (the job and the command) never interleave. SQLite keeps no rollup: the embedded default serves small desks, whose figures are computed live.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Min, Q, QuerySet, When
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from helpdesk.tickets.models import Ticket

from .adoption import CODE_LENGTH
from .expressions import BUCKETS, DurationBucket, EpochSeconds, MonthKey
from .models import PersonRollup, RollupMonth, TicketRollup, VillageRollup
from .selectors import OPEN_Q, months_between, sla_conditions

EVERY = timedelta(minutes=1)
BUDGET = timedelta(seconds=20)
REFRESH_AFTER = timedelta(minutes=5)
LOCK = 0x5D1D  # first key of the advisory lock; the second is the month (YYYYMM)
BATCH = 2000
SLA = ("fr_known", "fr_breached", "res_known", "res_breached")
# The counts of a group of `inner_rows`, in this order: tickets, solved, open, the SLA counts, the CSAT scores 1-5.
COUNTED = ", ".join(["COUNT(*)", "COUNT(*) FILTER (WHERE is_solved)", "COUNT(*) FILTER (WHERE is_open)",
                     *(f"COUNT(*) FILTER (WHERE {name})" for name in SLA),
                     *(f"COUNT(*) FILTER (WHERE score = {k})" for k in range(1, 6))])
# GROUPING(fb, rb): a bit is 0 for a column the row is grouped by.
BASE, BY_FIRST = 3, 1


def month_bounds(key: str) -> tuple[datetime, datetime]:
    """The instants a month (`YYYY-MM`) starts and ends in the current time zone."""
    year, month = int(key[:4]), int(key[5:])
    zone = timezone.get_current_timezone()
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(year, month, 1, tzinfo=zone), datetime(*following, 1, tzinfo=zone)


def inner_rows(tickets: QuerySet[Ticket], since: datetime, until: datetime) -> tuple[str, tuple[Any, ...]]:
    """The tickets created in [since, until), one row each, with every column the groupings need (the ORM
    writes the SQL)."""
    flags = {name: ExpressionWrapper(q, output_field=BooleanField()) for name, q in sla_conditions().items()}
    rows = (
        tickets.filter(created_at__gte=since, created_at__lt=until)
        .annotate(
            kab=Substr("desa_id", 1, CODE_LENGTH[2]), done_m=MonthKey(Coalesce("resolved_at", "closed_at")),
            is_open=ExpressionWrapper(OPEN_Q, output_field=BooleanField()),
            is_solved=ExpressionWrapper(Q(resolved_at__isnull=False), output_field=BooleanField()),
            fb=Case(When(first_response_at__isnull=False, then=DurationBucket("created_at", "first_response_at"))),
            rb=Case(When(resolved_at__isnull=False, then=DurationBucket("created_at", "resolved_at"))),
            span=EpochSeconds("created_at", "first_response_at"),
            score=F("rating__score"), author=F("accepted_message__author_id"), **flags,
        )
        .values("kab", "desa_id", "category_id", "priority", "forum_id", "assignee_id", "author", "done_m", "fb",
                "rb", "span", "score", "is_open", "is_solved", *SLA)
        .order_by()
    )
    return rows.query.sql_with_params()


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _count_month(key: str, inner_sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """One statement over one read of the month's tickets: it writes their counts per village, per assigned
    volunteer and per author of an accepted answer (a province's month holds a row per village and category, too
    many to pass through Python), and returns per kabupaten, category, priority, forum and finishing month the
    counts and each response time's tickets per histogram bucket."""
    dims = "category_id, priority, forum_id"
    groups = f"kab, {dims}, done_m"
    sql = f"""
        WITH t AS MATERIALIZED ({inner_sql}),
        villages AS (
            INSERT INTO {_table(VillageRollup)} (month, desa_id, {dims}, tickets)
            SELECT %s, desa_id, {dims}, COUNT(*) FROM t GROUP BY desa_id, {dims}
        ),
        people AS (
            INSERT INTO {_table(PersonRollup)} (month, kabupaten, {dims}, person_id, kind, tickets, open, solved,
                                                first_n, first_seconds)
            SELECT %s, kab, {dims}, COALESCE(assignee_id, author),
                   CASE WHEN GROUPING(assignee_id) = 0 THEN 'a' ELSE 'x' END, COUNT(*),
                   COUNT(*) FILTER (WHERE is_open), COUNT(*) FILTER (WHERE is_solved), COUNT(span),
                   COALESCE(SUM(span), 0)
            FROM t
            GROUP BY GROUPING SETS ((kab, {dims}, assignee_id), (kab, {dims}, author))
            HAVING COALESCE(assignee_id, author) IS NOT NULL
        )
        SELECT GROUPING(fb, rb), {groups}, fb, rb, {COUNTED}
        FROM t
        GROUP BY GROUPING SETS (({groups}), ({groups}, fb), ({groups}, rb))
    """  # noqa: S608 -- the inner SQL and its parameters come from the ORM, the rest is fixed text
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, key, key])
        return cursor.fetchall()


def _ticket_rows(key: str, counted: list[tuple[Any, ...]]) -> list[TicketRollup]:
    tickets: dict[tuple[Any, ...], TicketRollup] = {}
    histograms = []
    for (grp, kab, category, priority, forum, done_m, fb, rb, n, solved, open_, fr_known, fr_breached, res_known,
         res_breached, *scores) in counted:
        group = (kab, category, priority, forum, done_m)
        if grp == BASE:
            tickets[group] = TicketRollup(
                month=key, kabupaten=kab, category_id=category, priority=priority, forum_id=forum,
                done_month=done_m or "", opened=n, solved=solved, open=open_, fr_known=fr_known,
                fr_breached=fr_breached, res_known=res_known, res_breached=res_breached, fr_hist=[0] * BUCKETS,
                res_hist=[0] * BUCKETS, csat=list(scores))
        else:
            histograms.append((grp, group, fb if grp == BY_FIRST else rb, n))
    for grp, group, bucket, n in histograms:
        if bucket is not None:  # the group's tickets without that time yet
            row = tickets[group]
            (row.fr_hist if grp == BY_FIRST else row.res_hist)[bucket] = n
    return list(tickets.values())


def rebuild_month(key: str) -> None:
    """Replace the rollup rows of the tickets created in month `key` (`YYYY-MM`, the current time zone)."""
    computed_at = timezone.now()  # the figures are at least as fresh as the moment the count began
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK, int(key.replace("-", ""))])
        inner_sql, params = inner_rows(Ticket.objects.all(), *month_bounds(key))
        for model in (TicketRollup, VillageRollup, PersonRollup):
            model.objects.filter(month=key).delete()
        TicketRollup.objects.bulk_create(_ticket_rows(key, _count_month(key, inner_sql, params)), batch_size=BATCH)
        RollupMonth.objects.update_or_create(month=key, defaults={"computed_at": computed_at})


def rollup_months(today: date | None = None) -> list[str]:
    """Every month from the first ticket's to the current one (`YYYY-MM`, the current time zone)."""
    first = Ticket.objects.aggregate(at=Min("created_at"))["at"]
    if first is None:
        return []
    today = today or timezone.localdate()
    return months_between(timezone.localdate(first), max(today, timezone.localdate(first)))


def refresh_rollup(progress: Callable[[str], None] | None = None, *, budget: timedelta | None = None) -> int:
    """Rebuild the months due (all of them without a `budget`), oldest rebuild first; returns how many.

    With a budget (the periodic job) only months rebuilt longer than `REFRESH_AFTER` ago are due, and no month is
    started once it is spent (one always is). Months outside the tickets' span lose their rows.
    """
    if connection.vendor != "postgresql":
        return 0
    started = time.monotonic()
    with timezone.override(timezone.get_default_timezone()):
        months = rollup_months()
        stale = RollupMonth.objects.exclude(month__in=months).values_list("month", flat=True)
        for key in list(stale):
            with transaction.atomic():
                for model in (TicketRollup, VillageRollup, PersonRollup, RollupMonth):
                    model.objects.filter(month=key).delete()
        ages = dict(RollupMonth.objects.values_list("month", "computed_at"))
        never = datetime.min.replace(tzinfo=UTC)
        cutoff = timezone.now() - REFRESH_AFTER
        due = sorted((m for m in months if budget is None or ages.get(m, never) < cutoff),
                     key=lambda m: (ages.get(m, never), m))
        done = 0
        for key in due:
            if done and budget is not None and time.monotonic() - started >= budget.total_seconds():
                break
            rebuild_month(key)
            done += 1
            if progress:
                progress(key)
        return done
