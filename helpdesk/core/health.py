"""Readiness checks for /readyz. Each runs with a hard time limit, so a hung dependency reports `down`."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

CHECK_TIMEOUT_SECONDS = 3.0

Check = dict[str, Any]


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"status": "ok", "vendor": connection.vendor}
    finally:
        connection.close()  # the check runs in a pool thread; don't leave its connection behind


def check_channel_layer() -> Check:
    redis_url = settings.REDIS_URL
    if not redis_url:
        return {"status": "ok", "backend": "memory"}
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=1.5, socket_timeout=1.5)
    try:
        client.ping()
    finally:
        client.close()
    return {"status": "ok", "backend": "redis"}


def check_search_unregistered() -> Check:
    return {"status": "down", "error": "the search app did not register its readiness check"}


def check_tasks() -> Check:
    from .models import OutboxJob, WorkerHeartbeat

    try:
        now = timezone.now()
        stale = now - timedelta(seconds=settings.TASKS["HEARTBEAT_STALE_SECONDS"])
        workers = WorkerHeartbeat.objects.filter(seen_at__gte=stale).count()
        backlog = OutboxJob.objects.filter(status=OutboxJob.Status.PENDING, run_after__lte=now).count()
        parked = OutboxJob.objects.filter(status=OutboxJob.Status.PARKED).count()
    finally:
        connection.close()
    return {
        "status": "ok" if workers else "down",
        "backend": "database",
        "workers": workers,
        "backlog": backlog,
        "parked": parked,
        **({} if workers else {"detail": "no worker has reported in; start `manage.py run_worker`"}),
    }


_telegram_cache: dict[str, Any] = {}
TELEGRAM_CACHE_SECONDS = 30.0


def check_telegram() -> Check:
    token = settings.TELEGRAM_BOT_TOKEN
    if not token:
        return {"status": "disabled"}
    cached = _telegram_cache.get(token)
    if cached and time.monotonic() - cached[0] < TELEGRAM_CACHE_SECONDS:
        return dict(cached[1])
    import httpx

    url = f"{settings.TELEGRAM_API_BASE_URL}{token}/getMe"
    try:
        response = httpx.get(url, timeout=2.0)
        body = response.json()
        result: Check = (
            {"status": "ok", "bot": body["result"].get("username", "")}
            if body.get("ok")
            else {"status": "down", "error": str(body.get("description", response.status_code))[:200]}
        )
    except Exception as exc:
        result = {"status": "down", "error": type(exc).__name__}
    _telegram_cache[token] = (time.monotonic(), result)
    return dict(result)


CHECKS: dict[str, Callable[[], Check]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    # The search package registers its own check (search/apps.py), so core does not import it.
    "search": check_search_unregistered,
    "tasks": check_tasks,
    "telegram": check_telegram,
}

def register_check(name: str, fn: Callable[[], Check]) -> None:
    """Let a service package report in /readyz without core importing it."""
    CHECKS[name] = fn


_pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readyz")


def _guarded(fn: Callable[[], Check]) -> Check:
    try:
        return fn()
    except Exception as exc:
        return {"status": "down", "error": f"{type(exc).__name__}: {str(exc)[:200]}"}


def readiness(checks: dict[str, Callable[[], Check]] | None = None) -> dict[str, Any]:
    """Run every check in parallel, each bounded by CHECK_TIMEOUT_SECONDS, and summarise them."""
    checks = checks or CHECKS
    futures = {name: _pool.submit(_guarded, fn) for name, fn in checks.items()}
    deadline = time.monotonic() + CHECK_TIMEOUT_SECONDS
    results: dict[str, Check] = {}
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            results[name] = {"status": "down", "error": f"timed out after {CHECK_TIMEOUT_SECONDS:.0f}s"}
    return {"status": overall_status(results), "checks": results}


def overall_status(results: dict[str, Check]) -> str:
    if results.get("database", {}).get("status") != "ok":
        return "down"
    if any(r.get("status") not in {"ok", "disabled"} for r in results.values()):
        return "degraded"
    return "ok"
