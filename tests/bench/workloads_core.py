"""The baselines every other figure is divided by, and the foundation's own workloads."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.test import Client, override_settings
from django.urls import include, path


def plain_json_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("__bench__/plain/", plain_json_view), path("", include("helpdesk.urls"))]


def bench_baselines(ctx: Any) -> list[dict[str, Any]]:
    """Plain Django JSON view through the full middleware stack, and a raw database round trip."""
    client = Client()
    with override_settings(ROOT_URLCONF=__name__):
        plain = ctx.timed(lambda: client.get("/__bench__/plain/"), repeat=ctx.repeat(2000), warmup=50)

    def roundtrip() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    raw = ctx.timed(roundtrip, repeat=ctx.repeat(5000), warmup=50)
    ctx.baselines["plain_view"] = plain
    ctx.baselines["db_roundtrip"] = raw
    return [
        {"name": "baseline.plain_view", "samples_ms": plain},
        {"name": "baseline.db_roundtrip", "samples_ms": raw},
    ]


def bench_health(ctx: Any) -> list[dict[str, Any]]:
    client = Client()
    healthz = ctx.timed(lambda: client.get("/healthz"), repeat=ctx.repeat(1000), warmup=20)
    readyz = ctx.timed(lambda: client.get("/readyz"), repeat=ctx.repeat(200), warmup=5)
    return [
        {"name": "healthz", "samples_ms": healthz, "baseline": "plain_view"},
        {"name": "readyz", "samples_ms": readyz, "baseline": "plain_view", "queries": ctx.count_queries(lambda: client.get("/readyz"))},
    ]


def bench_outbox(ctx: Any) -> list[dict[str, Any]]:
    """Enqueue inside a transaction, and claim + run + mark done, per job."""
    from helpdesk.core import outbox
    from helpdesk.core.models import OutboxJob
    from helpdesk.core.outbox import Dispatcher, handler

    @handler("bench.noop")
    def noop(payload: dict[str, Any], job: OutboxJob) -> None:
        return None

    counter = iter(range(10**9))

    def enqueue() -> None:
        with transaction.atomic():
            outbox.enqueue("bench.noop", {"n": 1}, key=f"bench:{next(counter)}")

    n = ctx.repeat(1000)
    enqueue_samples = ctx.timed(enqueue, repeat=n, warmup=10)
    dispatcher = Dispatcher("bench")
    dispatched: list[float] = []
    import time

    while True:
        started = time.perf_counter()
        ran = dispatcher.run_due()
        if not ran:
            break
        dispatched.extend([(time.perf_counter() - started) * 1000 / ran] * ran)
    OutboxJob.objects.filter(kind="bench.noop").delete()
    return [
        {"name": "outbox.enqueue", "samples_ms": enqueue_samples, "baseline": "db_roundtrip"},
        {"name": "outbox.dispatch_per_job", "samples_ms": dispatched, "baseline": "db_roundtrip",
         "extra": {"jobs_per_second": round(1000 / (sum(dispatched) / len(dispatched)), 1)}},
    ]
