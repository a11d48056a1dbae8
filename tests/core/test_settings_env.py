from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from helpdesk.settings.env import (
    database_config,
    email_config,
    env_bool,
    is_insecure_secret_key,
    search_config,
)
from tests.services import ROOT


def test_sqlite_default_uses_wal_busy_timeout_and_immediate_transactions() -> None:
    config = database_config("", sqlite_default="/tmp/x.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/tmp/x.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert "busy_timeout" in config["OPTIONS"]["init_command"]


def test_postgres_url_is_parsed() -> None:
    config = database_config("postgres://u:p%40ss@db.example:5433/helpdesk", sqlite_default="x")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"], config["NAME"]) == (
        "u", "p@ss", "db.example", 5433, "helpdesk"
    )


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgres://", "nonsense", "postgres:///nohost"])
def test_bad_database_url_names_the_variable(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_config(url, sqlite_default="x")


@pytest.mark.parametrize(
    ("raw", "engine", "url", "user"),
    [
        ("", "database", "", ""),
        ("database", "database", "", ""),
        ("opensearch+http://127.0.0.1:9201", "opensearch", "http://127.0.0.1:9201", ""),
        ("elasticsearch+https://elastic:s%3Acret@es.example:9200", "elasticsearch", "https://es.example:9200", "elastic"),
    ],
)
def test_search_url(raw: str, engine: str, url: str, user: str) -> None:
    config = search_config(raw)
    assert (config.engine, config.url, config.username) == (engine, url, user)


def test_search_url_keeps_password_out_of_the_url() -> None:
    config = search_config("elasticsearch+https://elastic:s%3Acret@es.example:9200")
    assert config.password == "s:cret"
    assert "cret" not in config.url


@pytest.mark.parametrize("raw", ["solr://x", "opensearch://host:9200", "opensearch+ftp://h", "elasticsearch+http://:9200", "opensearch+http://h:notaport"])
def test_bad_search_url_names_the_variable(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="SEARCH_URL"):
        search_config(raw)


def test_email_url() -> None:
    assert email_config("")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    smtp = email_config("smtp+tls://bot:pw@mail.example:2525")
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_USE_TLS"], smtp["EMAIL_HOST_PASSWORD"]) == (
        "mail.example", 2525, True, "pw"
    )
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_config("pigeon://coop")


def test_env_bool_rejects_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG")


def test_insecure_secret_keys() -> None:
    assert is_insecure_secret_key("")
    assert is_insecure_secret_key("django-insecure-" + "x" * 60)
    assert is_insecure_secret_key("a" * 80)
    assert not is_insecure_secret_key("q3v9Zk2LmP0xR7wT5yB8nC1dF4gH6jK9sA2eU7iO3pL5zX8cV0bN")


def test_production_hasher_is_argon2() -> None:
    from helpdesk.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert settings.LANGUAGE_CODE == "id"


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # An empty var directory: a checkout where `make run` ran has var/secret_key, which these cases must not see.
    clean = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "DJANGO_SETTINGS_MODULE": "helpdesk.settings.base",
             "HELPDESK_VAR_DIR": tempfile.mkdtemp()}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


GOOD_KEY = "q3v9Zk2LmP0xR7wT5yB8nC1dF4gH6jK9sA2eU7iO3pL5zX8cV0bN"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SECRET_KEY": GOOD_KEY, "DATABASE_URL": "postgres://"}, "DATABASE_URL"),
        ({"SECRET_KEY": GOOD_KEY, "SEARCH_URL": "solr://localhost"}, "SEARCH_URL"),
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ],
)
def test_bad_configuration_fails_at_start_with_one_line(env: dict[str, str], variable: str) -> None:
    result = _start(env)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]


def test_debug_mode_starts_without_a_secret_key() -> None:
    result = _start({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr


def test_commands_work_as_written_where_make_run_kept_a_key(tmp_path: Path) -> None:
    # `make run` writes var/secret_key; `.venv/bin/python manage.py createsuperuser` etc. then need no SECRET_KEY.
    (tmp_path / "secret_key").write_text(GOOD_KEY + "\n")
    result = _start({"HELPDESK_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
