from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk.core.errors import RateLimited
from helpdesk.core.models import RateCounter
from helpdesk.core.ratelimit import hit, pending, purge_expired
from tests.concurrency import run_together


@pytest.mark.django_db
def test_limit_counts_within_a_window_per_ident() -> None:
    assert [hit("t", 1, limit=2, window_seconds=3600) for _ in range(3)] == [True, True, False]
    assert hit("t", 2, limit=2, window_seconds=3600)
    assert hit("other", 1, limit=2, window_seconds=3600)
    assert purge_expired() == 0
    assert RateCounter.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_counted_exactly() -> None:
    runs = run_together([lambda: [hit("race", 7, limit=25, window_seconds=3600) for _ in range(10)]] * 4)
    assert len(runs) == 4 and all(isinstance(run, list) for run in runs), runs
    results = [ok for run in runs for ok in run]
    assert results.count(True) == 25 and results.count(False) == 15


@pytest.mark.django_db
def test_a_pending_count_is_settled_by_the_callers_count_and_a_refusal_is_remembered(settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "t": (2, 3600)}
    counted = pending("t", 1)
    assert counted.params[0] == counted.key and counted.key.startswith("t:1:")
    counted.settle(2)  # within the limit: nothing happens
    with pytest.raises(RateLimited) as refused:
        pending("t", 1).settle(3)
    # The wait is what is left of the fixed window, not the whole window.
    assert abs(refused.value.retry_after - (3600 - time.time() % 3600)) <= 1
    # Refused again at once by this process for the rest of the window, with no statement sent.
    with CaptureQueriesContext(connection) as queries, pytest.raises(RateLimited):
        pending("t", 1)
    assert len(queries) == 0
    pending("t", 2)  # another caller is not affected
    # A changed limit decides afresh.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "t": (5, 3600)}
    pending("t", 1).settle(4)


@pytest.mark.postgres
@pytest.mark.django_db
def test_counters_are_unlogged_on_postgresql() -> None:
    """A counted action's commit does not wait for the disk (migration 0005): the table is UNLOGGED, and counting
    still works in it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE oid = %s::regclass", [RateCounter._meta.db_table])
        assert cursor.fetchone() == ("u",)
    assert [hit("unlogged", 1, limit=1, window_seconds=3600) for _ in range(2)] == [True, False]
