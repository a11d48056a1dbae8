"""The transactional outbox: record follow-up work with a change, run it after commit, exactly once in effect.

Services call `enqueue()` inside their transaction. A worker (`manage.py run_worker`) claims due jobs with a
compare-and-set UPDATE, runs the registered handler, and marks the job done. A failing job is retried with
exponential backoff and parked after `max_attempts`; parked jobs stay visible in the admin. A worker that dies
mid-job loses its lease, and the job is delivered again.

Handlers marked `atomic=True` (the default) run in one transaction with the "done" mark, so a crash undoes
their database effects and the retry applies them once. Handlers that talk to the outside world
(`atomic=False`) must be idempotent by the job's key: they record what they sent before returning.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from .logs import current_request_id, new_request_id, request_id_scope
from .models import OutboxJob

log = logging.getLogger(__name__)

HandlerFn = Callable[[dict[str, Any], OutboxJob], None]


@dataclass(frozen=True)
class Handler:
    kind: str
    fn: HandlerFn
    atomic: bool
    max_attempts: int | None


_HANDLERS: dict[str, Handler] = {}


def handler(kind: str, *, atomic: bool = True, max_attempts: int | None = None) -> Callable[[HandlerFn], HandlerFn]:
    """Register `fn(payload, job)` as the handler of outbox jobs of `kind`."""

    def register(fn: HandlerFn) -> HandlerFn:
        existing = _HANDLERS.get(kind)
        if existing is not None and existing.fn is not fn:
            raise ValueError(f"outbox handler {kind!r} is registered twice")
        _HANDLERS[kind] = Handler(kind=kind, fn=fn, atomic=atomic, max_attempts=max_attempts)
        return fn

    return register


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)


def enqueue(
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    key: str | None = None,
    delay: timedelta | None = None,
    ordering_key: str = "",
) -> None:
    """Record a job. Call it inside the transaction of the change; it leaves only if that commits.

    `key` makes the job idempotent: a second enqueue with the same key is a no-op.
    """
    if kind not in _HANDLERS:
        raise ValueError(f"no outbox handler for {kind!r}")
    h = _HANDLERS[kind]
    job = OutboxJob(
        kind=kind,
        key=key or f"{kind}:{uuid.uuid4().hex}",
        payload=payload or {},
        ordering_key=ordering_key,
        max_attempts=h.max_attempts or settings.TASKS["MAX_ATTEMPTS"],
        run_after=timezone.now() + (delay or timedelta()),
        request_id=current_request_id(),
    )
    # ON CONFLICT DO NOTHING: a duplicate key neither raises nor poisons the surrounding transaction.
    OutboxJob.objects.bulk_create([job], ignore_conflicts=True)


def backoff_seconds(attempts: int) -> float:
    base = settings.TASKS["BACKOFF_BASE_SECONDS"]
    cap = settings.TASKS["BACKOFF_MAX_SECONDS"]
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.8, 1.2)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class LeaseLost(Exception):
    """Another worker took the job over (our lease expired); our effects must not commit."""


def _claimable(now: Any) -> Q:
    due = Q(status=OutboxJob.Status.PENDING, run_after__lte=now)
    expired = Q(status=OutboxJob.Status.RUNNING, locked_until__lt=now)
    return due | expired


def _not_blocked_by_older() -> Any:
    older = OutboxJob.objects.filter(
        ordering_key=OuterRef("ordering_key"),
        id__lt=OuterRef("id"),
        status__in=[OutboxJob.Status.PENDING, OutboxJob.Status.RUNNING],
    )
    return Q(ordering_key="") | ~Exists(older)


class Dispatcher:
    """Claims and runs outbox jobs. One per worker process; `run_due()` is also used by tests."""

    def __init__(self, worker_id: str | None = None, *, batch: int = 20) -> None:
        self.worker_id = worker_id or default_worker_id()
        self.batch = batch

    def claim(self) -> list[OutboxJob]:
        now = timezone.now()
        lease = timedelta(seconds=settings.TASKS["LEASE_SECONDS"])
        candidates = list(
            OutboxJob.objects.filter(_claimable(now))
            .filter(_not_blocked_by_older())
            .order_by("run_after", "id")
            .values_list("id", flat=True)[: self.batch]
        )
        claimed: list[int] = []
        for job_id in candidates:
            # Compare-and-set: only one worker's UPDATE matches the row in its claimable state.
            won = (
                OutboxJob.objects.filter(_claimable(now), id=job_id)
                .filter(_not_blocked_by_older())
                .update(
                    status=OutboxJob.Status.RUNNING,
                    locked_by=self.worker_id,
                    locked_until=now + lease,
                    attempts=F("attempts") + 1,
                )
            )
            if won:
                claimed.append(job_id)
        return list(OutboxJob.objects.filter(id__in=claimed).order_by("run_after", "id"))

    def run_due(self) -> int:
        """Claim and run one batch of due jobs; returns how many ran."""
        jobs = self.claim()
        for job in jobs:
            self.run(job)
        return len(jobs)

    def drain(self, *, max_rounds: int = 100) -> int:
        """Run due jobs until none is left (tests, management commands)."""
        total = 0
        for _ in range(max_rounds):
            ran = self.run_due()
            if not ran:
                break
            total += ran
        return total

    def run(self, job: OutboxJob) -> None:
        # The job's log lines carry the id of the request that caused it (or a fresh one for periodic work).
        with request_id_scope(job.request_id or new_request_id()):
            self._run(job)

    def _run(self, job: OutboxJob) -> None:
        started = time.monotonic()
        h = _HANDLERS.get(job.kind)
        if h is None:
            self._fail(job, f"no handler registered for kind {job.kind!r}", park=True)
            return
        try:
            if h.atomic:
                with transaction.atomic():
                    h.fn(job.payload, job)
                    if not self._mark_done(job):
                        raise LeaseLost(job.key)
            else:
                h.fn(job.payload, job)
                self._mark_done(job)
            log.info("outbox job %s (%s) done in %.0f ms", job.key, job.kind, (time.monotonic() - started) * 1000)
        except LeaseLost:
            log.warning("outbox job %s: lease lost, leaving it to the other worker", job.key)
        except Exception as exc:
            log.exception("outbox job %s (%s) failed on attempt %s", job.key, job.kind, job.attempts)
            self._fail(job, "".join(traceback.format_exception_only(exc)).strip())

    def _mark_done(self, job: OutboxJob) -> bool:
        return bool(
            OutboxJob.objects.filter(id=job.id, status=OutboxJob.Status.RUNNING, locked_by=self.worker_id).update(
                status=OutboxJob.Status.DONE, finished_at=timezone.now(), locked_until=None, last_error=""
            )
        )

    def _fail(self, job: OutboxJob, error: str, *, park: bool = False) -> None:
        park = park or job.attempts >= job.max_attempts
        fields: dict[str, Any] = {"last_error": error[:4000], "locked_until": None}
        if park:
            fields.update(status=OutboxJob.Status.PARKED, finished_at=timezone.now())
            log.error("outbox job %s parked after %s attempts: %s", job.key, job.attempts, error)
        else:
            fields.update(
                status=OutboxJob.Status.PENDING,
                run_after=timezone.now() + timedelta(seconds=backoff_seconds(job.attempts)),
            )
        OutboxJob.objects.filter(id=job.id, locked_by=self.worker_id, status=OutboxJob.Status.RUNNING).update(
            **fields
        )


def retry_parked(job_ids: list[int]) -> int:
    """Admin action: give parked jobs a fresh set of attempts."""
    return OutboxJob.objects.filter(id__in=job_ids, status=OutboxJob.Status.PARKED).update(
        status=OutboxJob.Status.PENDING, attempts=0, run_after=timezone.now(), finished_at=None
    )
