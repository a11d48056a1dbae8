"""GET /metrics: protected by METRICS_TOKEN; requests, latency, outbox depth and lag, done per minute, workers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from helpdesk.core.metrics import WEBSOCKETS, count_websockets
from helpdesk.core.models import OutboxJob, WorkerHeartbeat

pytestmark = pytest.mark.django_db

TOKEN = "scrape-me-0123456789"


def _scrape(client: Client) -> str:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def test_metrics_are_off_without_a_token_and_refused_with_a_wrong_one(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403


def test_requests_latency_and_the_queue(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN
    now = timezone.now()
    OutboxJob.objects.create(kind="search.sync", key="a", run_after=now - timedelta(seconds=90))
    OutboxJob.objects.create(kind="search.sync", key="b", run_after=now)
    OutboxJob.objects.create(kind="telegram.send", key="c", status=OutboxJob.Status.DONE, finished_at=now)
    OutboxJob.objects.create(kind="telegram.send", key="d", status=OutboxJob.Status.PARKED, finished_at=now)
    WorkerHeartbeat.objects.create(worker_id="w", hostname="h", pid=1, seen_at=now)
    client.get("/healthz")
    text = _scrape(client)
    assert 'helpdesk_http_requests_total{method="GET",route="healthz",status="200"}' in text
    assert 'helpdesk_http_request_duration_seconds_bucket{le="0.005",method="GET",route="healthz"}' in text
    assert 'helpdesk_outbox_due_jobs{kind="search.sync"} 2.0' in text
    lag = next(line for line in text.splitlines() if line.startswith('helpdesk_outbox_lag_seconds{kind="search.sync"}'))
    assert 89 <= float(lag.split()[-1]) < 300
    assert 'helpdesk_outbox_done_last_minute{kind="telegram.send"} 1.0' in text
    assert 'helpdesk_outbox_parked_jobs{kind="telegram.send"} 1.0' in text
    assert "helpdesk_workers_alive 1.0" in text


@pytest.mark.asyncio
async def test_open_websockets_are_counted_and_send_is_left_alone() -> None:
    """`send` must reach the application untouched: the realtime consumer inspects daphne's own callable."""
    messages = [{"type": "websocket.connect"}, {"type": "websocket.disconnect"}]

    async def receive() -> Any:
        return messages.pop(0)

    async def send(message: Any) -> None:
        pass

    async def app(scope: Any, receive_: Any, send_: Any) -> None:
        assert send_ is send
        assert (await receive_())["type"] == "websocket.connect"
        assert WEBSOCKETS._value.get() == before + 1
        await receive_()

    before = WEBSOCKETS._value.get()
    await count_websockets(app)({"type": "websocket"}, receive, send)
    assert WEBSOCKETS._value.get() == before
