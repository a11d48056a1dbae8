"""SQL expressions that keep the figures inside the database on both backends.

Django's `TruncMonth` and datetime subtraction run as Python functions per row on SQLite (with a time-zone
conversion each time); over 100k tickets that costs seconds. These write the same figures in each backend's
own SQL: seconds between two times, and the month (`YYYY-MM`) of a time in the desk's zone.

On PostgreSQL the cheap forms matter as much at 1M tickets: `EXTRACT(EPOCH ...)` computes a `numeric` per row
where `date_part` gives the double directly, and `AT TIME ZONE 'Asia/Makassar'` looks the zone up per row
(about 1 s over a province's 900k tickets) where a fixed offset costs nothing. Indonesia's zones keep one
offset all year, so the offset is exact, as it is on SQLite.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, F, FloatField, Func, IntegerField
from django.utils import timezone


class EpochSeconds(Func):
    """Seconds from `start` to `end` (a float; NULL when either is NULL)."""

    output_field = FloatField()

    def __init__(self, start: Any, end: Any) -> None:
        super().__init__(end, start)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "date_part('epoch', %(expressions)s)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "((julianday(%(expressions)s)) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=") - julianday(", **extra)


def _offset_minutes() -> int:
    """The desk's zone's offset from UTC, in minutes (the same all year in Indonesia)."""
    offset = timezone.localtime(timezone.now()).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


class MonthKey(Func):
    """`YYYY-MM` of a time in the current time zone (the desk's: WITA for the pilot)."""

    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = f"to_char((%(expressions)s) AT TIME ZONE INTERVAL '{_offset_minutes():+d} minutes', 'YYYY-MM')"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite has no zone database at all.
        template = f"strftime('%%%%Y-%%%%m', %(expressions)s, '{_offset_minutes():+d} minutes')"
        return self.as_sql(compiler, connection, template=template, **extra)


# Histograms of durations (the rollup's, `percentiles.stats_from_histogram`): bucket 0 holds everything under a
# minute, bucket k >= 1 holds [60 s x 2^((k-1)/STEPS), 60 s x 2^(k/STEPS)), and the last one everything above.
# Eight buckets per doubling put any value within 9 % of its bucket's edges; 160 reach past a year and a half.
STEPS = 8
BUCKETS = 160
FIRST_EDGE = 60.0


class DurationBucket(Func):
    """The histogram bucket (`percentiles.bucket_of`) of the seconds from `start` to `end` (PostgreSQL only)."""

    output_field = IntegerField()

    def __init__(self, start: Any, end: Any) -> None:
        super().__init__(EpochSeconds(start, end))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = (f"LEAST({BUCKETS - 1}, GREATEST(0, 1 + floor({STEPS} * ln(GREATEST(%(expressions)s, 1.0) "
                    f"/ {FIRST_EDGE}) / ln(2.0))::int))")
        return self.as_sql(compiler, connection, template=template, **extra)


class ArrayItem(Func):
    """Item `index` (from 0) of an integer array column (PostgreSQL counts from 1)."""

    output_field = IntegerField()
    template = "(%(expressions)s)[%(position)s]"

    def __init__(self, column: str, index: int) -> None:
        super().__init__(F(column), position=int(index) + 1)
