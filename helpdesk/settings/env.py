"""Typed helpers that read the environment once, when settings load.

Every error names the variable, so a bad deployment fails at start with one clear line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}: expected a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}: must be at least {minimum}, got {value}")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}: must be at least {minimum}, got {value}")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default).lower() or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value


def redact_url(url: str) -> str:
    """The URL with its password replaced by ***, for error messages and logs (the rest still helps to debug)."""
    password = url_password(url)
    return url.replace(f":{password}@", ":***@", 1) if password else url


def url_password(url: str) -> str:
    """The password part of scheme://user:password@host..., as written (a malformed URL may still have one)."""
    _scheme, sep, rest = url.partition("://")
    at = rest.rfind("@")  # the last @: an unencoded @ in the password must not leave its tail visible
    if not sep or at == -1:
        return ""
    return rest[:at].partition(":")[2]


def _scrub(text: str, url: str) -> str:
    password = url_password(url)
    return text.replace(password, "***") if password else text


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_config(url: str, *, sqlite_default: str) -> dict[str, Any]:
    """Django DATABASES['default'] from DATABASE_URL, or the embedded SQLite file."""
    if not url:
        url = f"sqlite:///{sqlite_default}"
    scheme = urlsplit(url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL: unsupported scheme {scheme!r}; use postgres://user:pass@host:5432/name "
            "or sqlite:///path/to/db.sqlite3"
        )
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    except Exception as exc:  # dj-database-url raises several types for malformed URLs
        raise ImproperlyConfigured(
            f"DATABASE_URL: cannot parse {redact_url(url)!r}: {_scrub(str(exc), url)}"
        ) from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if not config.get("NAME"):
            raise ImproperlyConfigured("DATABASE_URL: a sqlite URL needs a file path, e.g. sqlite:///var/db.sqlite3")
        # WAL lets readers work during a write; IMMEDIATE takes the write lock at BEGIN, so two
        # writers queue on busy_timeout instead of failing with "database is locked" mid-transaction.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                "PRAGMA busy_timeout=20000;PRAGMA foreign_keys=ON;"
            ),
        }
    else:
        if not config.get("NAME") or not config.get("HOST"):
            raise ImproperlyConfigured(f"DATABASE_URL: needs a host and a database name, got {redact_url(url)!r}")
        config["ENGINE"] = "django.db.backends.postgresql"
        options = config.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", 5)
        config["CONN_HEALTH_CHECKS"] = True
    return config


SEARCH_ENGINES = ("database", "opensearch", "elasticsearch")


@dataclass(frozen=True)
class SearchConfig:
    engine: str  # one of SEARCH_ENGINES
    url: str = ""  # the engine's http(s) URL, credentials stripped
    username: str = ""
    password: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"engine": self.engine, "url": self.url, "username": self.username, "password": self.password}


def search_config(raw: str) -> SearchConfig:
    """Parse SEARCH_URL: unset or `database`, `opensearch+http://host:9201`, `elasticsearch+https://u:p@host:9200`."""
    raw = raw.strip()
    if raw in {"", "database"}:
        return SearchConfig(engine="database")
    parts = urlsplit(raw)
    engine, _, transport = parts.scheme.partition("+")
    if engine not in {"opensearch", "elasticsearch"} or transport not in {"http", "https"}:
        raise ImproperlyConfigured(
            f"SEARCH_URL: expected 'database', 'opensearch+http(s)://host:port' or "
            f"'elasticsearch+http(s)://host:port', got {redact_url(raw)!r}"
        )
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"SEARCH_URL: invalid port in {redact_url(raw)!r}") from None
    if not parts.hostname:
        raise ImproperlyConfigured(f"SEARCH_URL: missing host in {redact_url(raw)!r}")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    url = f"{transport}://{host}{f':{port}' if port else ''}{parts.path.rstrip('/')}"
    return SearchConfig(
        engine=engine,
        url=url,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


INSECURE_KEY_PREFIX = "django-insecure"


def is_insecure_secret_key(key: str) -> bool:
    return len(key) < 50 or len(set(key)) < 5 or key.startswith(INSECURE_KEY_PREFIX)


def email_config(raw: str) -> dict[str, Any]:
    """EMAIL_URL: unset or `console://` (prints mail), `smtp://user:pass@host:587`, `smtp+ssl://...`, `smtp+tls://...`."""
    raw = raw.strip()
    if raw in {"", "console://", "console"}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if raw in {"memory://", "locmem://"}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    parts = urlsplit(raw)
    if parts.scheme not in {"smtp", "smtp+tls", "smtp+ssl"} or not parts.hostname:
        raise ImproperlyConfigured(
            f"EMAIL_URL: expected console://, smtp://user:pass@host:port, smtp+tls:// or smtp+ssl://, "
            f"got {redact_url(raw)!r}"
        )
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"EMAIL_URL: invalid port in {redact_url(raw)!r}") from None
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if parts.scheme == "smtp+ssl" else 587 if parts.scheme == "smtp+tls" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
        "EMAIL_USE_SSL": parts.scheme == "smtp+ssl",
        "EMAIL_TIMEOUT": 10,
    }
