from __future__ import annotations

import signal
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from helpdesk.core import outbox
from helpdesk.core.models import OutboxJob
from helpdesk.core.outbox import Dispatcher
from tests.services import manage, subprocess_env, wait_for
from tests.testapp.models import Marker

pytestmark = pytest.mark.django_db(transaction=True)


def test_enqueue_is_idempotent_by_key() -> None:
    with transaction.atomic():
        outbox.enqueue("test.mark", {"note": "a"}, key="k1")
        outbox.enqueue("test.mark", {"note": "b"}, key="k1")
    assert OutboxJob.objects.filter(key="k1").count() == 1
    assert Dispatcher().drain() == 1
    assert list(Marker.objects.values_list("note", flat=True)) == ["a"]


def test_unknown_kind_is_refused_at_enqueue() -> None:
    with pytest.raises(ValueError, match="no outbox handler"):
        outbox.enqueue("no.such.kind", {})


def test_a_rolled_back_change_leaves_no_job() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue("test.mark", {}, key="gone")
        raise RuntimeError("the change failed")
    assert not OutboxJob.objects.exists()
    assert Dispatcher().drain() == 0


def test_failures_back_off_then_park_visibly() -> None:
    outbox.enqueue("test.fail", {}, key="bad")
    dispatcher = Dispatcher()
    delays = []
    for attempt in range(1, 4):
        assert dispatcher.run_due() == 1
        job = OutboxJob.objects.get(key="bad")
        assert job.attempts == attempt
        assert "simulated failure" in job.last_error
        if attempt < 3:
            assert job.status == OutboxJob.Status.PENDING
            delays.append((job.run_after - timezone.now()).total_seconds())
            # Not due yet: the backoff holds it back.
            assert dispatcher.run_due() == 0
            OutboxJob.objects.filter(pk=job.pk).update(run_after=timezone.now())
    job = OutboxJob.objects.get(key="bad")
    assert job.status == OutboxJob.Status.PARKED
    assert delays[1] > delays[0] > 0, delays  # exponential
    # The failed attempts rolled back their effects, and a parked job is never picked up again.
    assert not Marker.objects.exists()
    assert dispatcher.run_due() == 0
    assert outbox.retry_parked([job.pk]) == 1
    assert OutboxJob.objects.get(pk=job.pk).status == OutboxJob.Status.PENDING


def test_a_claimed_job_is_not_claimed_twice() -> None:
    outbox.enqueue("test.mark", {}, key="once")
    first, second = Dispatcher("a"), Dispatcher("b")
    assert [j.key for j in first.claim()] == ["once"]
    assert second.claim() == []


def test_an_expired_lease_is_redelivered_and_the_late_worker_cannot_commit() -> None:
    outbox.enqueue("test.mark", {}, key="lease")
    slow, fresh = Dispatcher("slow"), Dispatcher("fresh")
    [job] = slow.claim()
    OutboxJob.objects.filter(pk=job.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    [again] = fresh.claim()
    assert again.attempts == 2
    slow.run(job)  # the slow worker finishes late: its effect must roll back
    assert Marker.objects.count() == 0
    fresh.run(again)
    assert Marker.objects.count() == 1
    assert OutboxJob.objects.get(pk=job.pk).status == OutboxJob.Status.DONE


def test_jobs_with_one_ordering_key_run_in_order() -> None:
    for n in range(3):
        outbox.enqueue("test.mark", {"note": str(n)}, key=f"chat-{n}", ordering_key="chat:1")
    dispatcher = Dispatcher()
    # Only the oldest of the chat is claimable while it is unfinished.
    claimed = dispatcher.claim()
    assert [j.key for j in claimed] == ["chat-0"]
    dispatcher.run(claimed[0])
    dispatcher.drain()
    assert list(Marker.objects.order_by("id").values_list("note", flat=True)) == ["0", "1", "2"]


def test_unknown_kind_in_the_table_is_parked() -> None:
    OutboxJob.objects.create(kind="vanished.handler", key="v1")
    Dispatcher().drain()
    job = OutboxJob.objects.get(key="v1")
    assert job.status == OutboxJob.Status.PARKED
    assert "no handler" in job.last_error


@pytest.mark.slow
def test_a_killed_worker_leaves_the_job_to_run_again_with_one_effect(tmp_path: Path) -> None:
    env = subprocess_env(TASKS_LEASE_SECONDS="5", TASKS_POLL_SECONDS="0.1")
    with transaction.atomic():
        outbox.enqueue("test.mark", {"note": "crash", "linger_first_attempt": 60}, key="crash")
    first = manage("run_worker", env=env, log=tmp_path / "w1.log")
    try:
        wait_for(
            lambda: OutboxJob.objects.filter(key="crash", status=OutboxJob.Status.RUNNING).exists(),
            timeout=30,
            what="the first worker to start the job",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    job = OutboxJob.objects.get(key="crash")
    assert job.status == OutboxJob.Status.RUNNING and job.attempts == 1
    assert Marker.objects.count() == 0  # the killed transaction left nothing behind

    second = manage("run_worker", env=env, log=tmp_path / "w2.log")
    try:
        wait_for(
            lambda: OutboxJob.objects.filter(key="crash", status=OutboxJob.Status.DONE).exists(),
            timeout=30,
            what="the second worker to finish the job",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=15) == 0  # a clean stop on SIGTERM
    assert OutboxJob.objects.get(key="crash").attempts == 2
    assert list(Marker.objects.values_list("note", flat=True)) == ["crash"]
