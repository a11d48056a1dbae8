"""How tests reach real services: a HELPDESK_TEST_* variable names each one, or the test is skipped.

With HELPDESK_TEST_REQUIRE_SERVICES=1 (CI), a missing service fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def require_service(var: str, what: str) -> str:
    value = os.environ.get(var, "").strip()
    if value:
        return value
    message = f"{what} not configured: set {var} (deploy/services/start-all.sh starts one)"
    if os.environ.get("HELPDESK_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message}; HELPDESK_TEST_REQUIRE_SERVICES=1 makes this a failure", pytrace=False)
    pytest.skip(message)


def wait_for(condition: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.05, what: str = "") -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds. Tests never sleep."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_database_url() -> str:
    """A URL for the database the current test uses, for processes the test starts."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(
        DJANGO_SETTINGS_MODULE="helpdesk.settings.test",
        HELPDESK_TEST_SUBPROCESS_DATABASE_URL=test_database_url(),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str] | None = None, log: Path | None = None) -> subprocess.Popen[bytes]:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - owned by the child
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env or subprocess_env(),
        stdout=out,
        stderr=subprocess.STDOUT,
    )
