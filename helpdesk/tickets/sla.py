"""SLA time: targets counted in the working hours of the ticket's region, in its own time zone.

lokal-id's helpers count whole days; tickets need minutes, so the arithmetic here is the project's own:
walk the calendar in the region's zone, skipping non-working days and holidays (lokal-id's national list plus
the admins' own), and spend the remaining minutes inside each day's working window.
"""

from __future__ import annotations

import copy
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from helpdesk.core.refcache import RefCache
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


@dataclass(frozen=True)
class Reference:
    """The admins' settings that deadlines depend on: the policies by forum (None: the default row) and the
    holidays as (date, region prefix)."""

    policies: dict[int | None, SlaPolicy]
    holidays: tuple[tuple[date, str], ...]


def _load_reference() -> Reference:
    return Reference(
        policies={p.forum_id: p for p in SlaPolicy.objects.all()},
        holidays=tuple(Holiday.objects.values_list("date", "region_prefix")),
    )


# Every filing computes its deadlines: the policies and the admins' holidays (a few rows each) are kept per process.
_reference = RefCache("tickets.sla", _load_reference, SlaPolicy, Holiday)


def holidays_for(region_code: str, start: date, end: date, *, reference: Reference | None = None) -> frozenset[date]:
    days: set[date] = set()
    for year in range(start.year, end.year + 1):
        days |= _lokal_holidays(year)
    prefixes = {"", *ancestor_codes(region_code, include_self=True)}
    rows = (reference or _reference.get()).holidays
    days |= {day for day, prefix in rows if prefix in prefixes and start <= day <= end}
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


def policy_for(forum_id: int | None, *, reference: Reference | None = None) -> SlaPolicy:
    """The forum's own policy, else the default row, else the built-in defaults; from this process's copy."""
    policies = (reference or _reference.get()).policies
    own = policies.get(forum_id) if forum_id is not None else None
    policy = own or policies.get(None)
    return copy.copy(policy) if policy is not None else SlaPolicy()  # the caller may change its copy


def schedule_for(region_code: str, tz_name: str, policy: SlaPolicy, around: datetime, *,
                 reference: Reference | None = None) -> Schedule:
    start = around.date() - timedelta(days=1)
    return Schedule(
        tz=zoneinfo.ZoneInfo(tz_name),
        working_days=frozenset(int(d) for d in policy.working_days),
        start=policy.work_start if isinstance(policy.work_start, time) else time.fromisoformat(str(policy.work_start)),
        end=policy.work_end if isinstance(policy.work_end, time) else time.fromisoformat(str(policy.work_end)),
        holidays=holidays_for(region_code, start, start + timedelta(days=120), reference=reference),
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
    reference = _reference.get()
    policy = policy_for(forum_id, reference=reference)
    targets = policy.targets or default_targets()
    first_minutes, resolve_minutes = (int(m) for m in (targets.get(priority) or default_targets()[priority]))
    schedule = schedule_for(region_code, tz_name, policy, created_at, reference=reference)
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
