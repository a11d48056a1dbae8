"""Working-hours SLA arithmetic across weekends, holidays and time zones."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from helpdesk.tickets import sla
from helpdesk.tickets.models import Holiday
from tests.tickets.conftest import World

WIB, WITA, WIT = (zoneinfo.ZoneInfo(z) for z in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"))


def schedule(tz: zoneinfo.ZoneInfo, holidays: set[dt.date] = frozenset()) -> sla.Schedule:  # type: ignore[assignment]
    return sla.Schedule(tz=tz, holidays=frozenset(holidays))


# Friday 2027-01-08 16:30 local; the Monday after (2027-01-11) is a holiday in this scenario.
FRIDAY = dt.date(2027, 1, 8)
MONDAY_OFF = dt.date(2027, 1, 11)


@pytest.mark.parametrize("tz", [WIB, WITA, WIT], ids=["WIB", "WITA", "WIT"])
def test_friday_evening_with_a_monday_holiday(tz: zoneinfo.ZoneInfo) -> None:
    filed = dt.datetime.combine(FRIDAY, dt.time(16, 30), tz)
    due = sla.add_working_minutes(filed, 60, schedule(tz, {MONDAY_OFF}))
    # After hours on Friday, nothing counts; Saturday, Sunday and the Monday holiday are skipped.
    assert due == dt.datetime(2027, 1, 12, 9, 0, tzinfo=tz)


def test_the_same_instant_is_due_at_different_utc_times_in_each_zone() -> None:
    instant = dt.datetime(2027, 1, 8, 8, 30, tzinfo=dt.UTC)  # 15:30 WIB, 16:30 WITA, 17:30 WIT
    wib = sla.add_working_minutes(instant, 60, schedule(WIB, {MONDAY_OFF}))
    wita = sla.add_working_minutes(instant, 60, schedule(WITA, {MONDAY_OFF}))
    wit = sla.add_working_minutes(instant, 60, schedule(WIT, {MONDAY_OFF}))
    assert wib == dt.datetime(2027, 1, 12, 8, 30, tzinfo=WIB)  # 30 min on Friday, 30 on Tuesday
    assert wita == dt.datetime(2027, 1, 12, 9, 0, tzinfo=WITA)
    assert wit == dt.datetime(2027, 1, 12, 9, 0, tzinfo=WIT)


def test_minutes_spill_over_several_days() -> None:
    start = dt.datetime(2027, 1, 6, 15, 0, tzinfo=WITA)  # Wednesday
    # 2 days of working time = 16 h: 1 h Wed, 8 h Thu, 7 h Fri → Friday 15:00.
    assert sla.add_working_minutes(start, 16 * 60, schedule(WITA)) == dt.datetime(2027, 1, 8, 15, 0, tzinfo=WITA)


def test_start_before_opening_counts_from_opening() -> None:
    start = dt.datetime(2027, 1, 6, 5, 0, tzinfo=WITA)
    assert sla.add_working_minutes(start, 30, schedule(WITA)) == dt.datetime(2027, 1, 6, 8, 30, tzinfo=WITA)


def test_elapsed_working_minutes() -> None:
    start = dt.datetime(2027, 1, 8, 15, 0, tzinfo=WITA)
    end = dt.datetime(2027, 1, 12, 9, 0, tzinfo=WITA)
    assert sla.working_minutes_between(start, end, schedule(WITA, {MONDAY_OFF})) == 120


def test_zero_or_negative_targets_are_refused() -> None:
    with pytest.raises(ValueError):
        sla.add_working_minutes(dt.datetime(2027, 1, 6, 9, tzinfo=WITA), 0, schedule(WITA))


def test_lokal_id_holidays_and_admin_holidays_both_count(world: World) -> None:
    # 2026-08-17 (Monday) is Independence Day in lokal-id; 2026-08-18 is added by an admin for NTB only.
    Holiday.objects.create(date=dt.date(2026, 8, 18), name="Libur daerah", region_prefix="52")
    friday = dt.datetime(2026, 8, 14, 15, 30, tzinfo=WITA)
    first, _resolution = sla.due_dates(
        created_at=friday, priority="darurat", region_code="52.03.01.2001", tz_name="Asia/Makassar", forum_id=None
    )
    assert first == dt.datetime(2026, 8, 19, 8, 30, tzinfo=WITA)
    # Outside NTB the regional day does not apply.
    other, _ = sla.due_dates(
        created_at=friday, priority="darurat", region_code="53.01.01.2001", tz_name="Asia/Makassar", forum_id=None
    )
    assert other == dt.datetime(2026, 8, 18, 8, 30, tzinfo=WITA)


def test_ticket_gets_due_dates_on_creation(world: World) -> None:
    ticket = world.ticket(priority="darurat")
    assert ticket.first_response_due is not None and ticket.resolution_due is not None
    assert ticket.first_response_due < ticket.resolution_due
