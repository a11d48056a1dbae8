"""Static files as production serves them, for the tests that weigh pages in a browser: `collectstatic` with the
production storage (minified, hashed, precompressed) into a directory, and a server started with
HELPDESK_TEST_STATIC_ROOT naming it (helpdesk/settings/test.py) serves them from there through WhiteNoise."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.services import ROOT, subprocess_env

ENV = "HELPDESK_TEST_STATIC_ROOT"


@contextmanager
def collected_static(directory: Path) -> Iterator[Path]:
    """Collect into `directory`, and name it to every server started inside the block."""
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "--verbosity", "0"],
                          cwd=ROOT, env=subprocess_env(**{ENV: str(directory)}), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV, str(directory))
        yield directory
