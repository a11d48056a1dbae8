from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk.core import scheduler
from helpdesk.core.models import OutboxJob, PeriodicJob
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_period_is_enqueued_once_even_with_concurrent_workers() -> None:
    scheduler.sync_schedules()
    assert PeriodicJob.objects.filter(name="core.purge").exists()
    started = run_together([scheduler.enqueue_due] * 4)
    assert len(started) == 4 and all(isinstance(names, list) for names in started), started
    assert sum(names.count("core.purge") for names in started) == 1
    assert OutboxJob.objects.filter(kind="periodic:core.purge").count() == 1


def test_the_schedule_survives_a_restart() -> None:
    scheduler.sync_schedules()
    assert "core.purge" in scheduler.enqueue_due()
    row = PeriodicJob.objects.get(name="core.purge")
    assert row.next_run_at > timezone.now()
    # A restarted worker syncs again: the next run stays where it was, nothing runs early.
    scheduler.sync_schedules()
    assert scheduler.enqueue_due() == []
    assert PeriodicJob.objects.get(name="core.purge").next_run_at == row.next_run_at
    # When the period comes, it runs again, once.
    PeriodicJob.objects.filter(pk=row.pk).update(next_run_at=timezone.now() - timedelta(seconds=1))
    assert scheduler.enqueue_due() == ["core.purge"]
    assert OutboxJob.objects.filter(kind="periodic:core.purge").count() == 2


def test_purge_keeps_parked_jobs_and_drops_old_finished_ones() -> None:
    from helpdesk.core.tasks import purge_finished_jobs

    old = timezone.now() - timedelta(days=8)
    OutboxJob.objects.create(kind="k", key="done-old", status=OutboxJob.Status.DONE, finished_at=old)
    OutboxJob.objects.create(kind="k", key="done-new", status=OutboxJob.Status.DONE, finished_at=timezone.now())
    OutboxJob.objects.create(kind="k", key="parked-old", status=OutboxJob.Status.PARKED, finished_at=old)
    purge_finished_jobs()
    assert set(OutboxJob.objects.values_list("key", flat=True)) == {"done-new", "parked-old"}
