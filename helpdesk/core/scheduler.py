"""Periodic jobs (SLA checks, clean-ups) that run once per period however many workers there are.

Each job has a row in PeriodicJob. A worker that sees it due moves `next_run_at` forward with a
compare-and-set UPDATE and, in the same transaction, enqueues an outbox job keyed by the period it won. Only
one worker can win a period; the outbox then gives the run its retries. The schedule lives in the database,
so a restart neither skips nor repeats a period.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import outbox
from .models import OutboxJob, PeriodicJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    name: str
    every: timedelta


_SCHEDULES: dict[str, Schedule] = {}


def periodic(name: str, *, every: timedelta) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register `fn()` to run every `every`, on one worker at a time."""
    if every.total_seconds() < 1:
        raise ValueError("a periodic job needs an interval of at least one second")

    def register(fn: Callable[[], None]) -> Callable[[], None]:
        _SCHEDULES[name] = Schedule(name=name, every=every)

        @outbox.handler(f"periodic:{name}")
        def run(payload: dict[str, Any], job: OutboxJob) -> None:
            fn()

        return fn

    return register


def registered_schedules() -> dict[str, Schedule]:
    return dict(_SCHEDULES)


def sync_schedules() -> None:
    """Create rows for newly registered jobs and keep intervals in step with the code."""
    now = timezone.now()
    for schedule in _SCHEDULES.values():
        seconds = int(schedule.every.total_seconds())
        row, created = PeriodicJob.objects.get_or_create(
            name=schedule.name, defaults={"interval_seconds": seconds, "next_run_at": now}
        )
        if not created and row.interval_seconds != seconds:
            PeriodicJob.objects.filter(pk=row.pk).update(interval_seconds=seconds)


def enqueue_due() -> list[str]:
    """Enqueue one outbox job for every periodic job whose period has come; returns their names."""
    now = timezone.now()
    started: list[str] = []
    due = PeriodicJob.objects.filter(enabled=True, next_run_at__lte=now, name__in=list(_SCHEDULES))
    for row in due.only("id", "name", "interval_seconds", "next_run_at"):
        slot = row.next_run_at
        # Skip periods missed while no worker ran: the next run is one interval from now, not a burst.
        following = max(slot + timedelta(seconds=row.interval_seconds), now + timedelta(seconds=1))
        with transaction.atomic():
            won = PeriodicJob.objects.filter(pk=row.pk, next_run_at=slot).update(
                next_run_at=following, last_run_at=now
            )
            if won:
                outbox.enqueue(f"periodic:{row.name}", {}, key=f"periodic:{row.name}:{slot.isoformat()}")
                started.append(row.name)
    return started
