from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bots import client, handlers, limiter
from helpdesk.core.outbox import Dispatcher
from tests.fake_telegram import FakeTelegram
from tests.services import subprocess_env


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@pytest.fixture
def bridge(fake: FakeTelegram, settings: Any) -> Iterator[FakeTelegram]:
    """The service configured to talk to the fake (token, API URL), with fresh per-process clients."""
    settings.TELEGRAM_BOT_TOKEN = fake.token
    settings.TELEGRAM_API_BASE_URL = fake.base_url
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    # Functional tests don't wait for Telegram's pace; the limit tests set real limits themselves.
    settings.TELEGRAM_SEND_LIMITS = {"per_chat": (1000, 1.0), "per_group": (1000, 1.0), "overall": (1000, 1.0),
                                     "margin": 0.0}
    client.reset_clients()
    handlers._username.clear()
    limiter._limiter = None
    yield fake
    client.reset_clients()
    limiter._limiter = None


def drain() -> int:
    """Run the outbox until nothing is due (the sender and everything else)."""
    return Dispatcher("test-worker").drain()


def bridge_env(fake: Any, **extra: str) -> dict[str, str]:
    """Environment for a worker or bridge process that talks to the fake."""
    return subprocess_env(
        DJANGO_SETTINGS_MODULE="tests.bots.subprocess_settings",
        HELPDESK_TEST_TELEGRAM_TOKEN=fake.token,
        HELPDESK_TEST_TELEGRAM_BASE_URL=fake.base_url,
        **extra,
    )


def log_tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"


def settle(timeout: float = 20.0) -> None:
    """Deliver everything queued: run the outbox, skipping backoff waits (not the flood limiter's, which
    re-schedules a job that is early again), until no outbound message is left queued."""
    import time

    from django.utils import timezone

    from bots.models import OutboundMessage
    from helpdesk.core.models import OutboxJob

    deadline = time.monotonic() + timeout
    while True:
        drain()
        if not OutboundMessage.objects.filter(state=OutboundMessage.State.QUEUED).exists():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"outbound messages still queued after {timeout}s")
        OutboxJob.objects.filter(status=OutboxJob.Status.PENDING).update(run_after=timezone.now())
        time.sleep(0.05)
