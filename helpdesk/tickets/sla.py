"""SLA time: targets counted in the working hours of the ticket's region, in its own time zone.

lokal-id's helpers count whole days; tickets need minutes, so the arithmetic here is the project's own:
walk the calendar in the region's zone, skipping non-working days and holidays (lokal-id's national list plus
the admins' own), and spend the remaining minutes inside each day's working window.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from django.db.models import Q

from helpdesk.regions.codes import ancestor_codes

from .models import Holiday, SlaPolicy, default_targets, default_working_days

MAX_DAYS_AHEAD = 3660


@dataclass(frozen=True)
class Schedule:
    tz: zoneinfo.ZoneInfo
    working_days: frozenset[int] = frozenset(default_working_days())
    start: time = time(8, 0)
    end: time = time(16, 0)
    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays


@lru_cache(maxsize=8)
def _lokal_holidays(year: int) -> frozenset[date]:
    from lokal import HOLIDAY_YEARS, get_holidays

    if year not in HOLIDAY_YEARS:
        return frozenset()
    return frozenset(date.fromisoformat(h.date) for h in get_holidays(year).holidays)


def holidays_for(region_code: str, start: date, end: date) -> frozenset[date]:
    days: set[date] = set()
    for year in range(start.year, end.year + 1):
        days |= _lokal_holidays(year)
    prefixes = ["", *ancestor_codes(region_code, include_self=True)]
    days |= set(
        Holiday.objects.filter(date__range=(start, end))
        .filter(Q(region_prefix__in=prefixes))
        .values_list("date", flat=True)
    )
    return frozenset(days)


def add_working_minutes(start: datetime, minutes: int, schedule: Schedule) -> datetime:
    """The moment `minutes` of working time after `start` (aware), in UTC-aware form."""
    if minutes <= 0:
        raise ValueError("an SLA target must be positive")
    local = start.astimezone(schedule.tz)
    remaining = timedelta(minutes=minutes)
    for _ in range(MAX_DAYS_AHEAD):
        day = local.date()
        if schedule.is_working_day(day):
            opens = datetime.combine(day, schedule.start, schedule.tz)
            closes = datetime.combine(day, schedule.end, schedule.tz)
            if local < opens:
                local = opens
            if local < closes:
                available = closes - local
                if remaining <= available:
                    return local + remaining
                remaining -= available
        local = datetime.combine(day + timedelta(days=1), time(0, 0), schedule.tz)
    raise ValueError("no working time found within ten years: check the working days")


def working_minutes_between(start: datetime, end: datetime, schedule: Schedule) -> int:
    """Working minutes elapsed from `start` to `end` (for "time left" and the 80 % warning)."""
    if end <= start:
        return 0
    local = start.astimezone(schedule.tz)
    stop = end.astimezone(schedule.tz)
    total = timedelta()
    while local < stop:
        day = local.date()
        if schedule.is_working_day(day):
            opens = datetime.combine(day, schedule.start, schedule.tz)
            closes = datetime.combine(day, schedule.end, schedule.tz)
            lo, hi = max(local, opens), min(stop, closes)
            if hi > lo:
                total += hi - lo
        local = datetime.combine(day + timedelta(days=1), time(0, 0), schedule.tz)
    return int(total.total_seconds() // 60)


def policy_for(forum_id: int | None) -> SlaPolicy:
    """The forum's own policy, else the default row, else the built-in defaults. One query."""
    rows = list(SlaPolicy.objects.filter(Q(forum_id=forum_id) | Q(forum__isnull=True)))
    own = next((p for p in rows if forum_id is not None and p.forum_id == forum_id), None)
    default = next((p for p in rows if p.forum_id is None), None)
    return own or default or SlaPolicy()


def schedule_for(region_code: str, tz_name: str, policy: SlaPolicy, around: datetime) -> Schedule:
    start = around.date() - timedelta(days=1)
    return Schedule(
        tz=zoneinfo.ZoneInfo(tz_name),
        working_days=frozenset(int(d) for d in policy.working_days),
        start=policy.work_start if isinstance(policy.work_start, time) else time.fromisoformat(str(policy.work_start)),
        end=policy.work_end if isinstance(policy.work_end, time) else time.fromisoformat(str(policy.work_end)),
        holidays=holidays_for(region_code, start, start + timedelta(days=120)),
    )


WARN_AT = 0.8


@dataclass(frozen=True)
class Deadlines:
    first_response_due: datetime
    resolution_due: datetime
    first_response_warn_at: datetime
    resolution_warn_at: datetime


def deadlines(
    *, created_at: datetime, priority: str, region_code: str, tz_name: str, forum_id: int | None
) -> Deadlines:
    policy = policy_for(forum_id)
    targets = policy.targets or default_targets()
    first_minutes, resolve_minutes = (int(m) for m in (targets.get(priority) or default_targets()[priority]))
    schedule = schedule_for(region_code, tz_name, policy, created_at)
    return Deadlines(
        first_response_due=add_working_minutes(created_at, first_minutes, schedule),
        resolution_due=add_working_minutes(created_at, resolve_minutes, schedule),
        first_response_warn_at=add_working_minutes(created_at, max(1, int(first_minutes * WARN_AT)), schedule),
        resolution_warn_at=add_working_minutes(created_at, max(1, int(resolve_minutes * WARN_AT)), schedule),
    )


def due_dates(
    *, created_at: datetime, priority: str, region_code: str, tz_name: str, forum_id: int | None
) -> tuple[datetime, datetime]:
    d = deadlines(created_at=created_at, priority=priority, region_code=region_code, tz_name=tz_name, forum_id=forum_id)
    return d.first_response_due, d.resolution_due


def apply_deadlines(ticket: Any) -> None:
    """Set a ticket's due and warning times from its priority, region and forum."""
    d = deadlines(
        created_at=ticket.created_at, priority=ticket.priority, region_code=ticket.desa_id,
        tz_name=ticket.desa.timezone, forum_id=ticket.forum_id,
    )
    ticket.first_response_due, ticket.resolution_due = d.first_response_due, d.resolution_due
    ticket.first_response_warn_at, ticket.resolution_warn_at = d.first_response_warn_at, d.resolution_warn_at
