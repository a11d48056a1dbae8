"""One daphne server and one Chromium for the whole walkthrough module, the artifacts directory, and the page-weight
table printed at the end of the session (for the before/after numbers in issue 15's closing note)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AsgiServer, launched_chromium, running_daphne
from tests.services import ROOT, require_service

ARTIFACTS_ENV = "HELPDESK_WALKTHROUGH_DIR"


def artifacts_dir() -> Path:
    """Screenshots and weights.json; var/ (kept out of git) unless the environment names another directory."""
    return Path(os.environ.get(ARTIFACTS_ENV, "").strip() or ROOT / "var" / "artifacts" / "walkthrough")


@dataclass(frozen=True)
class PageWeight:
    role: str
    width: int
    js: str  # "js" or "nojs"
    step: str
    path: str
    html: int  # the document as decoded by the browser
    html_gzip: int  # as it came over the wire (the server compresses HTML)
    assets: int  # the stylesheets and scripts the page names, uncompressed

    @property
    def key(self) -> str:
        return f"{self.role}-{self.width}-{self.js}-{self.step}"


WEIGHTS: list[PageWeight] = []  # filled by the walkthrough tests, read by the summary below


@pytest.fixture(scope="module")
def walk_server(django_db_setup: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsgiServer]:
    """One server for the module, on the test database: each test's data is committed (transactional_db) and
    flushed after it."""
    with running_daphne(tmp_path_factory.mktemp("walk") / "daphne.log") as server:
        yield server


@pytest.fixture(scope="module")
def walk_browser() -> Iterator[Any]:
    with launched_chromium(require_service("HELPDESK_TEST_CHROMIUM", "Chromium")) as browser:
        yield browser


@pytest.fixture(scope="session")
def walk_artifacts() -> Iterator[Path]:
    directory = artifacts_dir()
    directory.mkdir(parents=True, exist_ok=True)
    yield directory
    if WEIGHTS:
        (directory / "weights.json").write_text(
            json.dumps({w.key: asdict(w) for w in WEIGHTS}, indent=1, ensure_ascii=False) + "\n")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not WEIGHTS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("page weight along each role's day (bytes)")
    header = f"{'role':<12} {'step':<14} {'width':>5} {'js':<4} {'html':>7} {'gzip':>6} {'css+js':>7}  path"
    write(header)
    write("-" * len(header))
    first: dict[tuple[str, str], int] = {}
    for w in WEIGHTS:  # in the order of the day, each page's four variants together
        first.setdefault((w.role, w.step), len(first))
    for w in sorted(WEIGHTS, key=lambda w: (first[w.role, w.step], w.width, w.js)):
        write(f"{w.role:<12} {w.step:<14} {w.width:>5} {w.js:<4} {w.html:>7} {w.html_gzip:>6} {w.assets:>7}  {w.path}")
    write(f"screenshots and weights.json: {artifacts_dir()}")
