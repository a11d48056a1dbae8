"""The dashboard's figures as named tables (a header and rows): one shape for CSV exports and open data.

Open data (`open_stats`) lives here too: counts only, with every cell under `MIN_CELL` tickets suppressed, and
one more cell suppressed when a single suppressed cell could be worked out from the total.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q
from django.db.models.functions import Substr
from django.http import HttpResponse
from django.utils.translation import gettext as _

from helpdesk.categories.models import Category
from helpdesk.regions.codes import level_of
from helpdesk.regions.models import Region

from .access import Scope
from .adoption import CODE_LENGTH, Adoption
from .expressions import MonthKey
from .params import StatsFilters
from .selectors import Figures, months_between, ticket_rows

MIN_CELL = 5
OPEN_BY = ("region", "category", "month")


@dataclass(frozen=True)
class Table:
    name: str
    header: list[str]
    rows: list[list[Any]]


def figure_tables(fig: Figures) -> dict[str, Table]:
    s, fr, res, c = fig.summary, fig.first_response, fig.resolution, fig.csat
    summary = [
        ["opened", s["opened"]], ["solved", s["solved"]], ["open", s["open"]],
        ["first_response_median_minutes", fr["median_minutes"]], ["first_response_p90_minutes", fr["p90_minutes"]],
        ["first_response_breach_rate", fr["breach_rate"]], ["response_times_approximate", fr["approximate"]],
        ["resolution_median_minutes", res["median_minutes"]], ["resolution_p90_minutes", res["p90_minutes"]],
        ["resolution_breach_rate", res["breach_rate"]],
        ["csat_ratings", c["n"]], ["csat_average", c["average"]], ["csat_satisfied_rate", c["satisfied_rate"]],
        ["villages", fig.villages["total"]], ["villages_never_asked", fig.villages["never_asked"]],
    ]
    if fig.deflection is not None:
        summary += [["kb_suggestions_opened", fig.deflection["opened"]],
                    ["kb_deflected", fig.deflection["deflected"]]]
    tables = {
        "summary": Table("summary", ["metric", "value"], summary),
        "months": Table("months", ["month", "opened", "solved", "open_end"],
                        [[m["month"], m["opened"], m["solved"], m["open_end"]] for m in fig.months]),
        "categories": Table("categories", ["category", "name", "tickets", "solved"],
                            [[r["slug"], r["name"], r["tickets"], r["solved"]] for r in fig.categories]),
        "forums": Table("forums", ["forum_id", "forum", "tickets", "open", "solved"],
                        [[r["id"], r["name"], r["tickets"], r["open"], r["solved"]] for r in fig.forums]),
        "csat": Table("csat", ["score", "ratings"], [[k, v] for k, v in c["distribution"].items()]),
        "keep_asking": Table("keep_asking", ["desa_code", "desa", "tickets"],
                             [[r["code"], r["name"], r["tickets"]] for r in fig.villages["keep_asking"]]),
        "never_asked": Table("never_asked", ["desa_code", "desa"],
                             [[r["code"], r["name"]] for r in fig.villages["never_asked_list"]]),
    }
    if fig.volunteers is not None:
        tables["volunteers"] = Table(
            "volunteers", ["volunteer_id", "name", "assigned", "open", "solved", "accepted_answers",
                           "avg_first_response_minutes"],
            [[v["id"], v["name"], v["assigned"], v["open"], v["solved"], v["accepted_answers"],
              v["avg_first_response_minutes"]] for v in fig.volunteers],
        )
    return tables


def adoption_table(adoption: Adoption) -> Table:
    rows = [[r["code"], r["name"], r["villages"], r["using_sid"], r["verified_operator"], r["current_version"],
             r["percent"], adoption.target] for r in adoption.as_dict()["results"]]
    return Table("adoption", ["region_code", "region", "villages", "using_sid", "verified_operator",
                              "current_version", "percent", "target"], rows)


def csv_response(table: Table, filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.header)
    writer.writerows(["" if v is None else v for v in row] for row in table.rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


# --- Open data -----------------------------------------------------------------------------------------------


def suppress(cells: Sequence[dict[str, Any]], total: int) -> list[dict[str, Any]]:
    """Blank every cell under MIN_CELL tickets, and the smallest other one when only one was blanked."""
    out = [dict(c, suppressed=c["tickets"] < MIN_CELL) for c in cells]
    hidden = [c for c in out if c["suppressed"]]
    if len(hidden) == 1 and total >= MIN_CELL:
        visible = sorted((c for c in out if not c["suppressed"]), key=lambda c: (c["tickets"], c["key"]))
        if visible:
            visible[0]["suppressed"] = True
    for c in out:
        if c["suppressed"]:
            c["tickets"] = c["solved"] = None
    return out


def _label_rows(by: str, f: StatsFilters) -> list[tuple[str, str]]:
    if by == "month":
        return [(m, m) for m in months_between(f.start, f.end)]
    if by == "category":
        return list(Category.objects.order_by("slug").values_list("slug", "name"))
    if not f.region:
        qs = Region.objects.filter(level=1)
    elif level_of(f.region) == 4:
        qs = Region.objects.filter(code=f.region)
    else:
        qs = Region.objects.filter(parent_id=f.region)
    return list(qs.order_by("code").values_list("code", "name"))


def open_stats(f: StatsFilters, by: str) -> dict[str, Any]:
    """Tickets and solved tickets per region, category or month, for anyone (three queries)."""
    rows = ticket_rows(Scope(roots=None, sees_people=False, sees_tickets=False), f)
    solved = Count("pk", filter=Q(resolved_at__isnull=False))
    if by == "month":
        key: Any = MonthKey("created_at")
    elif by == "category":
        key = F("category__slug")
    else:
        key = Substr("desa_id", 1, CODE_LENGTH[min(level_of(f.region) + 1, 4) if f.region else 1])
    grouped = rows.annotate(key=key).values("key").annotate(tickets=Count("pk"), solved=solved).order_by()
    counts = {r["key"]: r for r in grouped}
    cells = [{"key": key, "label": label, "tickets": counts.get(key, {}).get("tickets", 0),
              "solved": counts.get(key, {}).get("solved", 0)} for key, label in _label_rows(by, f)]
    total_tickets = sum(c["tickets"] for c in cells)
    total_solved = sum(c["solved"] for c in cells)
    small_total = total_tickets < MIN_CELL
    return {
        "region": f.region or None, "from": f.start, "to": f.end, "by": by,
        "license": settings.OPEN_DATA_LICENSE, "min_cell": MIN_CELL,
        "note": _("Sel dengan kurang dari %(n)d tiket disembunyikan (null).") % {"n": MIN_CELL},
        "total": {"tickets": None if small_total else total_tickets, "solved": None if small_total else total_solved,
                  "suppressed": small_total},
        "results": suppress(cells, total_tickets),
    }
