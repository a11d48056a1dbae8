from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections

from helpdesk.core.models import RateCounter
from helpdesk.core.ratelimit import hit, purge_expired


@pytest.mark.django_db
def test_limit_counts_within_a_window_per_ident() -> None:
    assert [hit("t", 1, limit=2, window_seconds=3600) for _ in range(3)] == [True, True, False]
    assert hit("t", 2, limit=2, window_seconds=3600)
    assert hit("other", 1, limit=2, window_seconds=3600)
    assert purge_expired() == 0
    assert RateCounter.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_counted_exactly() -> None:
    results: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            for _ in range(10):
                ok = hit("race", 7, limit=25, window_seconds=3600)
                with lock:
                    results.append(ok)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 25 and results.count(False) == 15
