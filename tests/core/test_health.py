from __future__ import annotations

import time

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from helpdesk.core import health
from helpdesk.core.models import WorkerHeartbeat
from tests.services import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_alive() -> None:
    WorkerHeartbeat.objects.create(worker_id="w", hostname="h", pid=1, seen_at=timezone.now())


def test_healthz(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ok_on_the_embedded_default(client: Client, worker_alive: None) -> None:
    body = client.get("/readyz").json()
    assert body["status"] == "ok", body
    assert set(body["checks"]) == {"database", "channel_layer", "search", "tasks", "telegram"}
    assert body["checks"]["telegram"]["status"] == "disabled"
    assert body["checks"]["search"]["engine"] == "database"
    assert body["checks"]["tasks"]["workers"] == 1


def test_readyz_degraded_without_a_worker(client: Client) -> None:
    body = client.get("/readyz").json()
    assert body["status"] == "degraded"
    assert body["checks"]["tasks"]["status"] == "down"


def test_a_redis_that_is_down_degrades_but_pages_still_work(client: Client, worker_alive: None) -> None:
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"):
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["status"] == "degraded"
        assert response.json()["checks"]["channel_layer"]["status"] == "down"
        assert client.get("/").status_code == 200


def test_a_search_engine_that_is_down_degrades(client: Client, worker_alive: None) -> None:
    from search import reset_backend

    engine = {"engine": "opensearch", "url": f"http://127.0.0.1:{free_port()}", "username": "", "password": ""}
    with override_settings(SEARCH=engine):
        reset_backend()
        try:
            body = client.get("/readyz").json()
        finally:
            reset_backend()
    assert body["status"] == "degraded"
    assert body["checks"]["search"]["status"] == "down"


def test_a_telegram_api_that_is_unreachable_is_down(client: Client, worker_alive: None) -> None:
    base = f"http://127.0.0.1:{free_port()}/bot"
    with override_settings(TELEGRAM_BOT_TOKEN="123:abc", TELEGRAM_API_BASE_URL=base):
        health._telegram_cache.clear()
        body = client.get("/readyz").json()
    assert body["checks"]["telegram"]["status"] == "down"
    assert body["status"] == "degraded"


def test_a_hanging_check_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "CHECK_TIMEOUT_SECONDS", 0.3)

    def hangs() -> dict[str, str]:
        time.sleep(2)
        return {"status": "ok"}

    started = time.monotonic()
    report = health.readiness({"database": lambda: {"status": "ok"}, "search": hangs})
    assert time.monotonic() - started < 1.5
    assert report["checks"]["search"]["status"] == "down"
    assert "timed out" in report["checks"]["search"]["error"]
    assert report["status"] == "degraded"


def test_a_database_that_is_down_makes_readyz_down(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> dict[str, str]:
        raise OSError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert "connection refused" in response.json()["checks"]["database"]["error"]
