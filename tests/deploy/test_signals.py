"""Long-running processes stop on SIGTERM within the bounds the systemd units give them (docs/deploy.md).

The worker's clean stop is tested in tests/core/test_outbox.py; here the web process and the bridge."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.bots.conftest import bridge_env, log_tail
from tests.fake_telegram import FakeTelegram
from tests.services import ROOT, free_port, manage, subprocess_env, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _stop(process: subprocess.Popen[bytes], bound: float) -> tuple[int, float]:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=bound)
    finally:
        if process.poll() is None:
            process.kill()
    return code, time.monotonic() - started


def test_daphne_stops_on_sigterm_within_its_bound(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "daphne.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "--application-close-timeout", "10",
         "helpdesk.asgi:application"],
        cwd=ROOT, env=subprocess_env(DJANGO_SETTINGS_MODULE="helpdesk.settings.test"),
        stdout=open(log, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )

    def up() -> bool:
        assert process.poll() is None, log_tail(log)
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, timeout=30, what="daphne to answer")
    _code, took = _stop(process, bound=20)  # TimeoutStopSec of helpdesk-web@.service
    assert took < 20, log_tail(log)


def test_the_telegram_bridge_stops_on_sigterm_after_its_poll_and_releases_the_lease(
    fake: FakeTelegram, tmp_path: Path, settings: Any
) -> None:
    from bots.models import BridgeState

    log = tmp_path / "bridge.log"
    poll_timeout = 3
    process = manage("telegram_bridge", "--poll-timeout", str(poll_timeout), "--wait", "0.2",
                     env=bridge_env(fake), log=log)
    try:
        wait_for(lambda: process.poll() is not None or fake.requests("getUpdates"), timeout=30,
                 what="the bridge to poll")
        assert process.poll() is None, log_tail(log)
    finally:
        code, took = _stop(process, bound=45)  # TimeoutStopSec of helpdesk-telegram.service
    assert code == 0, log_tail(log)
    assert took < poll_timeout + 10, log_tail(log)
    assert BridgeState.objects.exists() and not BridgeState.objects.exclude(lease_holder="").exists()
