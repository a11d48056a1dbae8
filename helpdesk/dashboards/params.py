"""The dashboard's filters, parsed once from a query string for the API and the pages alike.

Bad input is a `ValidationError` naming the field (the API's 400 with `fields`; the pages show it in the form).
Dates are whole days in the desk's time zone (WITA for the pilot); `to` is inclusive. They must fall between
`FIRST_DATE` and a year after today (`date_bounds`), checked as they are parsed: near `date.max` the midnight
after `to` is no `date`, and near `date.min` neither is the default start a year before `to`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from helpdesk.categories.models import Category
from helpdesk.core.ids import MAX_ID
from helpdesk.regions.codes import is_valid_code
from helpdesk.regions.models import Region
from helpdesk.tickets.models import Priority

MAX_DAYS = 5 * 366  # "longer than five years" is refused
DEFAULT_MONTHS = 12
FIRST_DATE = date(2000, 1, 1)  # long before the first SID desa went online
FUTURE_DAYS = 366  # `to` may lie up to a year ahead (the end of this year, a planned date)


@dataclass(frozen=True)
class StatsFilters:
    region: str  # '' = the whole country
    start: date
    end: date  # inclusive
    forum: int | None = None
    category: str = ""
    priority: str = ""

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, timezone.get_current_timezone())

    @property
    def until(self) -> datetime:
        """Exclusive upper bound: midnight after `end`."""
        return datetime.combine(self.end + timedelta(days=1), time.min, timezone.get_current_timezone())

    def query(self, **override: str) -> dict[str, str]:
        """The filters as query parameters (for links and CSV exports)."""
        params = {"from": self.start.isoformat(), "to": self.end.isoformat(), "region": self.region,
                  "forum": str(self.forum or ""), "category": self.category, "priority": self.priority}
        params.update(override)
        return {k: v for k, v in params.items() if v}


def last_months(months: int, today: date | None = None) -> tuple[date, date]:
    """The last `months` whole months up to today: from the first day of the month `months - 1` months ago."""
    today = today or timezone.localdate()
    month = today.month - (months - 1)
    year = today.year
    while month <= 0:
        month += 12
        year -= 1
    return date(year, month, 1), today


def default_range(today: date | None = None) -> tuple[date, date]:
    """The last twelve whole months up to today: from the first day of the month a year ago."""
    return last_months(DEFAULT_MONTHS, today)


def period_choices(today: date | None = None) -> list[tuple[str, date, date]]:
    """Periods of whole months people pick most, offered as links beside the date fields (and served from the
    figure snapshots or the monthly rollup where those hold them)."""
    today = today or timezone.localdate()
    return [
        (_("Bulan ini"), *last_months(1, today)),
        (_("3 bulan terakhir"), *last_months(3, today)),
        (_("12 bulan terakhir"), *last_months(12, today)),
        (_("Tahun ini"), date(today.year, 1, 1), today),
        (_("Tahun lalu"), date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    ]


def date_bounds(today: date | None = None) -> tuple[date, date]:
    """The first and the last date a filter or a report month may name."""
    return FIRST_DATE, (today or timezone.localdate()) + timedelta(days=FUTURE_DAYS)


def _date(params: Mapping[str, str], name: str, bounds: tuple[date, date]) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: [_("Tanggal harus berformat TTTT-BB-HH.")]}) from None
    first, last = bounds
    if not first <= value <= last:
        raise ValidationError({name: [_("Tanggal harus antara %(first)s dan %(last)s.")
                                      % {"first": first.isoformat(), "last": last.isoformat()}]})
    return value


def parse_range(params: Mapping[str, str]) -> tuple[date, date]:
    bounds = date_bounds()
    start, end = _date(params, "from", bounds), _date(params, "to", bounds)
    default_start, default_end = default_range()
    if start is None and end is None:
        return default_start, default_end
    if start is None:
        start = end - timedelta(days=365) if end else default_start
    if end is None:
        end = max(start, default_end)
    if end < start:
        raise ValidationError({"to": [_("Tanggal akhir sebelum tanggal awal.")]})
    if (end - start).days > MAX_DAYS:
        raise ValidationError({"from": [_("Rentang tanggal paling lama 5 tahun.")]})
    return start, end


def parse_month(raw: str, today: date | None = None) -> tuple[date, date]:
    """A month `TTTT-BB` as its first and last day (the monthly report's `bulan`), within `date_bounds`."""
    try:
        year, month = (int(p) for p in raw.strip().split("-"))
        start = date(year, month, 1)
    except (ValueError, OverflowError):
        raise ValidationError({"bulan": [_("Bulan harus berformat TTTT-BB.")]}) from None
    first, last = date_bounds(today)
    if not first.replace(day=1) <= start <= last:
        raise ValidationError({"bulan": [_("Bulan harus antara %(first)s dan %(last)s.")
                                         % {"first": first.strftime("%Y-%m"), "last": last.strftime("%Y-%m")}]})
    following = date(year + (month == 12), month % 12 + 1, 1)
    return start, following - timedelta(days=1)


def parse_region(params: Mapping[str, str], name: str = "region") -> str:
    """A known region code, or '' for the whole country; an unknown code is a 400."""
    code = (params.get(name) or "").strip()
    if not code:
        return ""
    if not is_valid_code(code) or not Region.objects.filter(code=code).exists():
        raise ValidationError({name: [_("Wilayah tidak dikenal.")]})
    return code


def parse_filters(params: Mapping[str, str], *, region: str | None = None) -> StatsFilters:
    start, end = parse_range(params)
    code = parse_region(params) if region is None else region
    forum_raw = (params.get("forum") or "").strip()
    if forum_raw and not (forum_raw.isascii() and forum_raw.isdigit()):  # "²".isdigit() holds, int("²") raises
        raise ValidationError({"forum": [_("Forum harus berupa nomor.")]})
    if len(forum_raw.lstrip("0")) > 19 or (forum_raw and int(forum_raw) > MAX_ID):
        # More digits than an id column holds: refused here, not left to overflow in the query (a 500).
        raise ValidationError({"forum": [_("Nomor id terlalu besar.")]})
    forum = int(forum_raw) if forum_raw else None
    category = (params.get("category") or "").strip().lower()
    if category and not Category.objects.filter(slug=category).exists():
        raise ValidationError({"category": [_("Kategori tidak dikenal.")]})
    priority = (params.get("priority") or "").strip().lower()
    if priority and priority not in Priority.values:
        raise ValidationError({"priority": [_("Prioritas tidak dikenal.")]})
    return StatsFilters(region=code, start=start, end=end, forum=forum,
                        category=category, priority=priority)
