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
