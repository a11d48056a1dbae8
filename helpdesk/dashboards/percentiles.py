"""Median and p90 of a duration over a queryset, computed by the database where it can.

PostgreSQL has `percentile_cont`; SQLite has no percentile function, so there the durations (seconds, computed
and sorted by SQLite) are read as one list and interpolated in Python the same way `percentile_cont` does (linear between the two nearest
ranks), which keeps the figures identical on both backends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Aggregate, Count, FloatField, Q, QuerySet

from .expressions import BUCKETS, FIRST_EDGE, STEPS, EpochSeconds

FRACTIONS = (0.5, 0.9)


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(ARRAY[fractions]) WITHIN GROUP (ORDER BY expression)`: the values at every
    fraction from one sort (asking per fraction sorts the same durations once per fraction)."""

    function = "percentile_cont"
    template = "%(function)s(ARRAY[%(fractions)s]::double precision[]) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = ArrayField(FloatField())

    def __init__(self, expression: Any, *, fractions: Sequence[float], filter: Any = None) -> None:
        if not fractions or not all(0 <= f <= 1 for f in fractions):
            raise ValueError("a percentile fraction lies between 0 and 1")
        super().__init__(expression, filter=filter, fractions=", ".join(repr(float(f)) for f in fractions))


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """The same interpolation as SQL's percentile_cont, over already sorted values."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


@dataclass(frozen=True)
class DurationStats:
    n: int
    median: float | None  # minutes, one decimal
    p90: float | None
    approximate: bool = False  # read from a histogram (`stats_from_histogram`), within 9 %

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "median_minutes": self.median, "p90_minutes": self.p90, "approximate": self.approximate}


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def in_database() -> bool:
    """Can the database compute percentiles itself (and so inside another aggregate query)?"""
    return connection.vendor == "postgresql"


def percentile_aggregates(name: str, start: str, end: str) -> dict[str, Any]:
    """`{name}_n` and `{name}_pct` (median and p90) aggregates, to add to another `.aggregate()` (PostgreSQL)."""
    span, known = EpochSeconds(start, end), Q(**{f"{end}__isnull": False})
    return {f"{name}_n": Count("pk", filter=known), f"{name}_pct": PercentileCont(span, fractions=FRACTIONS, filter=known)}


def stats_from(result: dict[str, Any], name: str) -> DurationStats:
    median, p90 = result[f"{name}_pct"] or (None, None)  # NULL when no row has the duration
    return DurationStats(n=result[f"{name}_n"], median=_minutes(median), p90=_minutes(p90))


def duration_stats(qs: QuerySet[Any], start: str, end: str) -> DurationStats:
    """Median and p90 of `end - start` over rows where `end` is set (one query on either backend)."""
    rows = qs.filter(**{f"{end}__isnull": False})
    span = EpochSeconds(start, end)
    if in_database():
        return stats_from(qs.aggregate(**percentile_aggregates("d", start, end)), "d")
    # Sorted by the database; only the floats travel.
    seconds = list(rows.annotate(span=span).order_by("span").values_list("span", flat=True))
    return DurationStats(n=len(seconds), median=_minutes(percentile_cont(seconds, FRACTIONS[0])),
                         p90=_minutes(percentile_cont(seconds, FRACTIONS[1])))


def bucket_bounds(k: int) -> tuple[float, float]:
    """The seconds bucket `k` covers (the last one is given the width of the ones below it)."""
    if k == 0:
        return 0.0, FIRST_EDGE
    return FIRST_EDGE * 2 ** ((k - 1) / STEPS), FIRST_EDGE * 2 ** (k / STEPS)


def bucket_of(seconds: float) -> int:
    """The bucket of a duration, as the SQL of `expressions.DurationBucket` computes it."""
    if seconds < FIRST_EDGE:
        return 0
    return min(BUCKETS - 1, 1 + math.floor(STEPS * math.log2(seconds / FIRST_EDGE)))


def _ranked(counts: Sequence[int], rank: int) -> float:
    """The value of rank `rank` (from 0) among the durations counted, taken as spread evenly over its bucket."""
    below = 0
    for k, count in enumerate(counts):
        if rank < below + count:
            low, high = bucket_bounds(k)
            return low + (high - low) * (rank - below + 0.5) / count
        below += count
    raise ValueError("rank beyond the histogram")


def histogram_percentile(counts: Sequence[int], fraction: float) -> float | None:
    """The value at `fraction` of the durations counted in `counts`, interpolated between the two nearest ranks as
    percentile_cont does; each rank's value is within its bucket's width (9 %) of the true one, and so is this."""
    n = sum(counts)
    if not n:
        return None
    position = fraction * (n - 1)
    low = math.floor(position)
    below, above = _ranked(counts, low), _ranked(counts, min(low + 1, n - 1))
    return below + (above - below) * (position - low)


def stats_from_histogram(counts: Sequence[int]) -> DurationStats:
    return DurationStats(n=sum(counts), median=_minutes(histogram_percentile(counts, FRACTIONS[0])),
                         p90=_minutes(histogram_percentile(counts, FRACTIONS[1])), approximate=True)
