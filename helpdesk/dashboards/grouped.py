"""On PostgreSQL, the figures grouped by one column each, in one pass over the tickets (`GROUPING SETS`).

Tickets opened per month, the top categories, the forums, the volunteers' workload and the villages that keep
asking are each a count over the same rows grouped by a different column. Asked one by one they scan a
province's tickets five times; `GROUP BY GROUPING SETS` hashes each row into all five groupings in one scan.
The names are joined to the groups afterwards, the top tens are cut per grouping with `row_number()`, and the
order within each grouping is the database's (its collation), as the separate queries had it. SQLite has no
grouping sets; there `selectors.py` asks the separate queries, which give the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from helpdesk.tickets.models import OPEN_STATUSES, Ticket

from .expressions import EpochSeconds, MonthKey

# GROUPING(category_id, forum_id, assignee_id, desa_id, m): a bit is 0 for the column the row is grouped by.
BY_CATEGORY, BY_FORUM, BY_ASSIGNEE, BY_DESA, BY_MONTH = 0b01111, 0b10111, 0b11011, 0b11101, 0b11110


@dataclass
class Grouped:
    opened_by_month: dict[str, int] = field(default_factory=dict)
    categories: list[dict[str, Any]] = field(default_factory=list)
    forums: list[dict[str, Any]] = field(default_factory=list)
    assignees: list[dict[str, Any]] = field(default_factory=list)  # in the shape of volunteer_rows' first query
    keep_asking: list[dict[str, Any]] = field(default_factory=list)


def _table(name: str) -> str:
    return connection.ops.quote_name(Ticket._meta.get_field(name).related_model._meta.db_table)  # type: ignore[union-attr]


def grouped_counts(rows: QuerySet[Ticket], *, top_categories: int, top_villages: int, repeat_min: int) -> Grouped:
    inner = rows.annotate(m=MonthKey("created_at"), span=EpochSeconds("created_at", "first_response_at")).values(
        "category_id", "forum_id", "assignee_id", "desa_id", "m", "status", "resolved_at", "first_response_at", "span"
    ).order_by()
    try:
        inner_sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing (a scope without regions)
        return Grouped()
    open_list = ", ".join(["%s"] * len(OPEN_STATUSES))
    # Table names from the models, the rows' SQL and its parameters from the ORM: nothing from the request.
    sql = f"""
        SELECT grp, n, solved, open, avg_first, category_id, forum_id, assignee_id, desa_id, m,
               c_slug, c_name, f_name, u_name, u_username, r_name
        FROM (
            SELECT s.*, c.slug AS c_slug, c.name AS c_name, fo.name AS f_name, u.name AS u_name,
                   u.username AS u_username, r.name AS r_name,
                   row_number() OVER (PARTITION BY s.grp, s.category_id IS NULL, s.desa_id IS NULL
                                      ORDER BY s.n DESC, c.slug, s.desa_id) AS rank
            FROM (
                SELECT GROUPING(category_id, forum_id, assignee_id, desa_id, m) AS grp,
                       category_id, forum_id, assignee_id, desa_id, m, COUNT(*) AS n,
                       COUNT(*) FILTER (WHERE resolved_at IS NOT NULL) AS solved,
                       COUNT(*) FILTER (WHERE status IN ({open_list})) AS open,
                       AVG(span) FILTER (WHERE first_response_at IS NOT NULL) AS avg_first
                FROM ({inner_sql}) AS t
                GROUP BY GROUPING SETS ((category_id), (forum_id), (assignee_id), (desa_id), (m))
            ) AS s
            LEFT JOIN {_table("category")} c ON s.grp = {BY_CATEGORY} AND c.id = s.category_id
            LEFT JOIN {_table("forum")} fo ON s.grp = {BY_FORUM} AND fo.id = s.forum_id
            LEFT JOIN {_table("assignee")} u ON s.grp = {BY_ASSIGNEE} AND u.id = s.assignee_id
            LEFT JOIN {_table("desa")} r ON s.grp = {BY_DESA} AND r.code = s.desa_id
        ) AS ranked
        WHERE grp = {BY_MONTH}
           OR (grp = {BY_FORUM} AND f_name IS NOT NULL)
           OR (grp = {BY_ASSIGNEE} AND u_username IS NOT NULL)
           OR (grp = {BY_CATEGORY} AND c_slug IS NOT NULL AND rank <= %s)
           OR (grp = {BY_DESA} AND r_name IS NOT NULL AND n >= %s AND rank <= %s)
        ORDER BY grp, n DESC, c_slug, f_name, desa_id
    """  # noqa: S608
    out = Grouped()
    with connection.cursor() as cursor:
        cursor.execute(sql, [*OPEN_STATUSES, *params, top_categories, repeat_min, top_villages])
        for (grp, n, solved, open_, avg_first, _cat, forum_id, assignee_id, desa_id, month,
             c_slug, c_name, f_name, u_name, u_username, r_name) in cursor.fetchall():
            if grp == BY_MONTH:
                out.opened_by_month[month] = n
            elif grp == BY_CATEGORY:
                out.categories.append({"slug": c_slug, "name": c_name, "tickets": n, "solved": solved})
            elif grp == BY_FORUM:
                out.forums.append({"id": forum_id, "name": f_name, "tickets": n, "open": open_, "solved": solved})
            elif grp == BY_ASSIGNEE:
                out.assignees.append({"assignee_id": assignee_id, "assignee__name": u_name,
                                      "assignee__username": u_username, "assigned": n, "open": open_,
                                      "solved": solved, "avg_first": avg_first})
            elif grp == BY_DESA:
                out.keep_asking.append({"code": desa_id, "name": r_name, "tickets": n})
    return out
