"""Fixtures of the fault tests: a PostgreSQL cluster of their own for the session (started and stopped by
deploy/services/postgres.sh and stop.sh in a private state dir, never the shared one), and a stack per test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.services import require_service

from .stack import PG_BIN, FaultStack, PrivatePostgres


def _require_tool(ok: bool, what: str) -> None:
    if ok:
        return
    message = f"{what} is not installed (deploy/services/start-all.sh installs it)"
    if os.environ.get("HELPDESK_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message}; HELPDESK_TEST_REQUIRE_SERVICES=1 makes this a failure", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    # The shared services being configured is the sign that this machine runs the service tests at all.
    require_service("HELPDESK_TEST_POSTGRES_URL", "PostgreSQL")
    require_service("HELPDESK_TEST_REDIS_URL", "Redis")
    _require_tool((PG_BIN / "pg_ctl").exists(), f"PostgreSQL ({PG_BIN}/pg_ctl)")
    _require_tool(shutil.which("redis-server") is not None, "redis-server")
    pg = PrivatePostgres()
    try:
        pg.start()
        pg.prepare_template()
        yield pg
    finally:
        pg.destroy()


@pytest.fixture
def fault_stack(private_postgres: PrivatePostgres) -> Iterator[Callable[..., FaultStack]]:
    stacks: list[FaultStack] = []

    def make(**kwargs: Any) -> FaultStack:
        stack = FaultStack(private_postgres, **kwargs)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        if not stack.pg_running():
            private_postgres.start()  # a failed test may leave it stopped; the next test needs it
        stack.stop()
