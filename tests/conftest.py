from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings

from tests.services import ROOT, free_port, require_service, subprocess_env, wait_for


@pytest.fixture
def redis_url() -> str:
    return require_service("HELPDESK_TEST_REDIS_URL", "Redis")


@pytest.fixture
def search_url() -> str:
    return require_service("HELPDESK_TEST_SEARCH_URL", "OpenSearch")


@pytest.fixture
def chromium_path() -> str:
    return require_service("HELPDESK_TEST_CHROMIUM", "Chromium")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("PostgreSQL-only: runs in the PostgreSQL pass of `make test`")


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language (a request in English must not leak into the next test)."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


class AsgiServer:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log


@contextmanager
def running_daphne(log: Path, **env: str) -> Iterator[AsgiServer]:
    """A real daphne process serving the app against the test database (websockets need ASGI); `env` adds to
    its environment (settings read from it, such as the RATE_* limits)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "helpdesk.asgi:application"],
        cwd=ROOT,
        env=subprocess_env(DJANGO_SETTINGS_MODULE="helpdesk.settings.test", **env),
        stdout=open(log, "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"daphne exited early:\n{log.read_text()}")
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, timeout=30, what="daphne to answer /healthz")
        yield AsgiServer(url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def asgi_server(transactional_db: Any, tmp_path: Path) -> Iterator[AsgiServer]:
    """A daphne process for one test (tests/walkthrough shares one per module through `running_daphne`)."""
    with running_daphne(tmp_path / "daphne.log") as server:
        yield server


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def launched_chromium(chromium_path: str) -> Iterator[Any]:
    """Headless Chromium (Debian's, never a downloaded one) driven by Playwright's sync API."""
    # Playwright's sync API keeps an event loop on this thread; the ORM calls a test makes between browser
    # steps are still synchronous, so Django's guard against async contexts does not apply.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
            try:
                yield b
            finally:
                b.close()


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Any]:
    with launched_chromium(chromium_path) as b:
        yield b


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    """A page at phone size (360 x 740), as most operators see the service."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID")
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


