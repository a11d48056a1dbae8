"""The core's own periodic jobs."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from .models import OutboxJob, WorkerHeartbeat
from .scheduler import periodic

DONE_JOBS_KEPT = timedelta(days=7)


@periodic("core.purge", every=timedelta(hours=1))
def purge_finished_jobs() -> None:
    """Drop finished outbox rows after a week, and heartbeats of workers gone for a day. Parked jobs stay."""
    now = timezone.now()
    OutboxJob.objects.filter(status=OutboxJob.Status.DONE, finished_at__lt=now - DONE_JOBS_KEPT).delete()
    WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()


@periodic("core.purge_rate_counters", every=timedelta(minutes=15))
def purge_rate_counters() -> None:
    from .ratelimit import purge_expired

    purge_expired()


@periodic("core.purge_idempotency_keys", every=timedelta(hours=1))
def purge_idempotency_keys() -> None:
    """Idempotency keys and form tokens are answered for 24 hours; then they go."""
    from .idempotency import purge_expired

    purge_expired()
