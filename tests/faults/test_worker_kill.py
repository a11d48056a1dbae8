"""Workers killed mid-job under load (issue 16, faults; tests/core/test_outbox.py kills one worker on one job).

Two workers drain a few hundred jobs whose handlers take a while on their first attempt; one worker is killed
(SIGKILL) three times in the middle and started again, as systemd would. Every job ends done, and each job's
effect (a row written in the job's own transaction) is there exactly once: the killed attempts left nothing,
and their jobs ran again after the lease expired.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import transaction

from helpdesk.core import outbox
from helpdesk.core.models import OutboxJob
from tests.services import manage, subprocess_env, wait_for
from tests.testapp.models import Marker

from .stack import record

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.slow]

JOBS = 300
KILLS = 3


def test_killed_workers_lose_and_double_no_job(tmp_path: Path) -> None:
    with transaction.atomic():
        for n in range(JOBS):
            outbox.enqueue("test.mark", {"note": f"load-{n}", "linger_first_attempt": 0.05}, key=f"load-{n}")
    env = subprocess_env(TASKS_LEASE_SECONDS="5", TASKS_POLL_SECONDS="0.1")
    steady = manage("run_worker", env=env, log=tmp_path / "steady.log")
    victim = manage("run_worker", env=env, log=tmp_path / "victim-0.log")
    started = time.monotonic()
    killed_running = 0
    try:
        for k in range(KILLS):
            done_before = OutboxJob.objects.filter(status=OutboxJob.Status.DONE).count()
            wait_for(lambda d=done_before: OutboxJob.objects.filter(status=OutboxJob.Status.DONE).count() >= d + 30,
                     timeout=60, what="the workers to get going")
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=10)
            killed_running += OutboxJob.objects.filter(status=OutboxJob.Status.RUNNING).count()
            victim = manage("run_worker", env=env, log=tmp_path / f"victim-{k + 1}.log")
        wait_for(lambda: not OutboxJob.objects.exclude(status=OutboxJob.Status.DONE).exists(), timeout=120,
                 what="every job done")
    finally:
        for proc in (steady, victim):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=15)
    notes = Counter(Marker.objects.values_list("note", flat=True))
    retried = OutboxJob.objects.filter(key__startswith="load-", attempts__gt=1).count()
    record("worker_kill", {
        "jobs_enqueued": JOBS, "kills": KILLS, "jobs_running_at_the_kills_both_workers": killed_running,
        "jobs_done": OutboxJob.objects.filter(key__startswith="load-", status=OutboxJob.Status.DONE).count(),
        "jobs_retried": retried, "effects": sum(notes.values()),
        "effects_doubled": sum(n - 1 for n in notes.values() if n > 1), "seconds": round(time.monotonic() - started, 1),
    })
    assert sorted(notes) == sorted(f"load-{n}" for n in range(JOBS)) and set(notes.values()) == {1}
    assert retried >= 1, "no kill landed in the middle of a job"
