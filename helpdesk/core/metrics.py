"""Prometheus metrics at /metrics, for a scraper that presents `Authorization: Bearer <METRICS_TOKEN>`.

Two kinds of numbers:
- per process (requests, latency, open websockets): each web process counts its own, so Prometheus scrapes
  every web process directly (127.0.0.1:8001, :8002, ...; nginx answers 404 for /metrics) and sums them;
- from the database (outbox depth and lag per job kind, jobs done in the last minute per kind, parked jobs,
  live workers): the same from any process, computed when scraped. Search index lag is the outbox lag of the
  `search.sync` kind; the Telegram send rate is the done-per-minute of `telegram.send`.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# No auto_describe: it would run the collectors (database queries) when the module is imported.
REGISTRY = CollectorRegistry(auto_describe=False)
REQUESTS = Counter(
    "helpdesk_http_requests", "HTTP requests answered by this process", ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "helpdesk_http_request_duration_seconds", "Time to answer an HTTP request in this process", ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0), registry=REGISTRY,
)
WEBSOCKETS = Gauge("helpdesk_websocket_connections", "Open websocket connections in this process", registry=REGISTRY)


class OutboxCollector(Collector):
    """Queue numbers read from the database at scrape time (a few indexed aggregate queries)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from .models import OutboxJob, WorkerHeartbeat

        now = timezone.now()
        depth = GaugeMetricFamily("helpdesk_outbox_due_jobs", "Outbox jobs due and not yet claimed", labels=["kind"])
        lag = GaugeMetricFamily(
            "helpdesk_outbox_lag_seconds", "Age of the oldest due, unclaimed outbox job", labels=["kind"]
        )
        done = GaugeMetricFamily(
            "helpdesk_outbox_done_last_minute", "Outbox jobs finished in the last 60 seconds", labels=["kind"]
        )
        parked = GaugeMetricFamily("helpdesk_outbox_parked_jobs", "Outbox jobs that gave up", labels=["kind"])
        try:
            due = (
                OutboxJob.objects.filter(status=OutboxJob.Status.PENDING, run_after__lte=now)
                .values("kind").annotate(n=Count("id"), oldest=Min("run_after"))
            )
            for row in due:
                depth.add_metric([row["kind"]], row["n"])
                lag.add_metric([row["kind"]], max(0.0, (now - row["oldest"]).total_seconds()))
            recent = (
                OutboxJob.objects.filter(finished_at__gte=now - timedelta(seconds=60), status=OutboxJob.Status.DONE)
                .values("kind").annotate(n=Count("id"))
            )
            for row in recent:
                done.add_metric([row["kind"]], row["n"])
            for row in OutboxJob.objects.filter(status=OutboxJob.Status.PARKED).values("kind").annotate(n=Count("id")):
                parked.add_metric([row["kind"]], row["n"])
            stale = now - timedelta(seconds=settings.TASKS["HEARTBEAT_STALE_SECONDS"])
            workers = WorkerHeartbeat.objects.filter(seen_at__gte=stale).count()
        finally:
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
        yield from (depth, lag, done, parked)
        yield GaugeMetricFamily("helpdesk_workers_alive", "Workers with a fresh heartbeat", value=workers)


REGISTRY.register(OutboxCollector())


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return str(match.route) if match is not None and match.route else "unmatched"


class MetricsMiddleware:
    """Counts and times every request by its URL pattern (never the raw path: ids would explode the series)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        route = _route(request)
        LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        return response


ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


def count_websockets(app: ASGIApp) -> ASGIApp:
    """Wrap the websocket application: +1 while a connection is open (from its `websocket.connect` to its end).

    Only `receive` is wrapped: `send` must stay daphne's own callable, whose protocol the realtime consumer
    reads for the client's unread bytes (realtime/limits.py). A refused connection counts for the moment
    it takes to refuse it.
    """

    async def counted(scope: dict[str, Any], receive: Any, send: Any) -> None:
        connected = False

        async def counting_receive() -> Any:
            nonlocal connected
            message = await receive()
            if message.get("type") == "websocket.connect" and not connected:
                connected = True
                WEBSOCKETS.inc()
            return message

        try:
            await app(scope, counting_receive, send)
        finally:
            if connected:
                WEBSOCKETS.dec()

    return counted


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    token = str(getattr(settings, "METRICS_TOKEN", "") or "")
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
