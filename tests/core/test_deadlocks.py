"""A transaction PostgreSQL aborts as a deadlock victim runs again, once, and both sides get their work done."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
from django.db import OperationalError, close_old_connections, transaction

from helpdesk.categories.models import Category
from helpdesk.core import deadlocks


def _crossing(first: int, second: int, barrier: threading.Barrier, runs: list[str], name: str) -> None:
    """Lock `first`, wait for the other thread to lock its own first row, then lock `second`."""
    with transaction.atomic():
        Category.objects.select_for_update().get(pk=first)
        runs.append(name)
        with contextlib.suppress(threading.BrokenBarrierError):  # the run again: the other side is done or waiting
            barrier.wait(timeout=10)
        Category.objects.filter(pk=second).update(name=f"{name}-{len(runs)}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("retry", [False, True])
def test_a_deadlock_victim_runs_again(retry: bool) -> None:
    a, b = (Category.objects.create(slug=f"kunci-{i}", name=f"kunci {i}") for i in range(2))
    barrier = threading.Barrier(2)
    runs: list[str] = []
    errors: list[BaseException] = []

    def side(name: str, first: int, second: int) -> None:
        try:
            def work() -> Any:
                return _crossing(first, second, barrier, runs, name)

            if retry:
                deadlocks.run(work)
            else:
                work()
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)
            barrier.abort()
        finally:
            close_old_connections()

    threads = [threading.Thread(target=side, args=("kiri", a.pk, b.pk)),
               threading.Thread(target=side, args=("kanan", b.pk, a.pk))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    if retry:
        assert errors == []
        assert len(runs) == 3  # each side once, and the victim once more
    else:
        assert len(errors) == 1 and isinstance(errors[0], OperationalError)
        assert deadlocks.is_retryable(errors[0])


@pytest.mark.django_db(transaction=True)
def test_inside_an_outer_transaction_the_error_goes_to_its_owner() -> None:
    calls: list[int] = []

    def aborted() -> None:
        calls.append(1)
        raise OperationalError("deadlock detected") from _Deadlock()

    with pytest.raises(OperationalError), transaction.atomic():
        deadlocks.run(aborted)
    assert calls == [1]
    with pytest.raises(OperationalError):
        deadlocks.run(aborted)
    assert calls == [1, 1, 1, 1]  # outermost: run ATTEMPTS times, then the error goes up


class _Deadlock(Exception):
    sqlstate = "40P01"
