"""deploy/env.example must work as a systemd EnvironmentFile and for bash, and name every variable read."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.services import ROOT

ENV_EXAMPLE = ROOT / "deploy" / "env.example"
# Read by code that runs only under tests (fault injection, the suite's own services), never by a deployment.
NOT_FOR_OPERATORS = re.compile(r"^HELPDESK_TEST_|^HELPDESK_TELEGRAM_CRASH_AT$|^HELPDESK_ALLOW_DEMO$")
NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def environment_file(text: str) -> dict[str, str]:
    """A strict reading of systemd's EnvironmentFile= (systemd.exec(5)), refusing what the two readers differ on.

    systemd: `#`/`;` lines are comments, a `#` after a value is part of the value, one pair of double or
    single quotes around the whole value is removed, backslashes escape. bash: `#` after whitespace starts a
    comment, `$`, backticks and backslashes expand. So values here are plain tokens, or double-quoted text
    without `"`, `$`, backticks or backslashes, and nothing follows them.
    """
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        name, sep, value = line.partition("=")
        assert sep and NAME.match(name), f"line {number}: not NAME=value: {line!r}"
        assert name not in values, f"line {number}: {name} set twice"
        if value.startswith('"'):
            assert re.fullmatch(r'"[^"\\$`]*"', value), f"line {number}: quoting bash and systemd read alike: {line!r}"
            value = value[1:-1]
        else:
            assert re.fullmatch(r"[^\s\"'\\$`#;]*", value), f"line {number}: unquoted value must be one plain token: {line!r}"
        values[name] = value
    return values


def sourced_by_bash(path: Path) -> dict[str, str]:
    script = 'set -euo pipefail; set -a; . "$1"; set +a; env -0'
    result = subprocess.run(
        ["bash", "-c", script, "bash", str(path)], env={"PATH": "/usr/bin:/bin"}, capture_output=True, timeout=30
    )
    assert result.returncode == 0 and not result.stderr, result.stderr.decode()
    pairs = (item.split("=", 1) for item in result.stdout.decode().split("\0") if "=" in item)
    return dict(pairs)  # type: ignore[arg-type]


def variables_read_by_the_settings() -> set[str]:
    found: set[str] = set()
    pattern = re.compile(r"""(?:env_(?:str|bool|int|float|list|choice)|os\.environ\.get|getenv)\(\s*["']([A-Z0-9_]+)["']""")
    for package in ("helpdesk", "bots", "search"):
        for source in (ROOT / package).rglob("*.py"):
            if source.name == "test.py" and source.parent.name == "settings":
                continue
            found.update(pattern.findall(source.read_text()))
    return {name for name in found if not NOT_FOR_OPERATORS.match(name)}


def test_env_example_is_a_valid_environment_file_and_bash_reads_the_same_values() -> None:
    systemd = environment_file(ENV_EXAMPLE.read_text())
    bash = sourced_by_bash(ENV_EXAMPLE)
    assert {name: bash.get(name) for name in systemd} == systemd


def test_env_example_names_every_variable_the_settings_read() -> None:
    documented = set(environment_file(ENV_EXAMPLE.read_text()))
    read = variables_read_by_the_settings()
    assert {"SECRET_KEY", "ATTACHMENT_MAX_MB", "SEARCH_SHARDS", "STATIC_ROOT", "REALTIME_RETENTION_SECONDS"} <= read
    assert read - documented == set(), "add these to deploy/env.example with their default"


@pytest.mark.parametrize(
    "line",
    ["SITE_URL=https://x   # the public address", "A=two words", "A='single'", "A=$HOME", 'A="x" # c', "a=lower"],
)
def test_the_parser_refuses_what_the_two_readers_disagree_on(line: str) -> None:
    with pytest.raises(AssertionError):
        environment_file(line)


def test_the_old_inline_comments_would_become_values(tmp_path: Path) -> None:
    """Why the file is strict: systemd keeps an inline comment as part of the value."""
    path = tmp_path / "env"
    path.write_text("HTTPS=0                          # 1 behind TLS\n")
    assert sourced_by_bash(path)["HTTPS"] == "0"
    with pytest.raises(AssertionError):
        environment_file(path.read_text())
