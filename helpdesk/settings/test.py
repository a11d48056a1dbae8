"""Test settings: the embedded default, or PostgreSQL when HELPDESK_TEST_DATABASE=postgres."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-7c1f0e9a4b2d8e6f3a5c7b9d1e3f5a7c9b1d3f5e7a9c")
os.environ.setdefault("EMAIL_URL", "memory://")
if os.environ.get("HELPDESK_TEST_DATABASE") == "postgres":
    url = os.environ.get("HELPDESK_TEST_POSTGRES_URL", "")
    if not url:
        raise ImproperlyConfigured("HELPDESK_TEST_DATABASE=postgres needs HELPDESK_TEST_POSTGRES_URL")
    os.environ["DATABASE_URL"] = os.environ.get("HELPDESK_TEST_SUBPROCESS_DATABASE_URL") or url
elif os.environ.get("HELPDESK_TEST_SUBPROCESS_DATABASE_URL"):
    # A server or worker process started by a test, sharing the test database.
    os.environ["DATABASE_URL"] = os.environ["HELPDESK_TEST_SUBPROCESS_DATABASE_URL"]
else:
    os.environ.pop("DATABASE_URL", None)
# Services are opted into per test through HELPDESK_TEST_*; the suite itself starts on the embedded default.
for name in ("REDIS_URL", "SEARCH_URL", "TELEGRAM_BOT_TOKEN"):
    os.environ.pop(name, None)

from .base import *  # noqa: E402,F403
from .base import DATABASES, VAR_DIR  # noqa: E402

# One test database per pytest run, so that several runs on one machine don't share it. A file, not :memory:,
# so that server and worker processes started by a test can open it.
_run = os.environ.setdefault("HELPDESK_TEST_RUN_ID", str(os.getpid()))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{_run}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_helpdesk_{_run}"}

# Argon2 is the production hasher (see base.py and its test); the suite hashes hundreds of passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "test-media"
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
if os.environ.get("HELPDESK_TEST_STATIC_ROOT"):
    # A server started by the page-weight tests serves static files as production does: collected there
    # beforehand, minified, hashed and precompressed (tests/static_files.py).
    STATIC_ROOT = Path(os.environ["HELPDESK_TEST_STATIC_ROOT"])
    STORAGES["staticfiles"] = {"BACKEND": "helpdesk.core.staticfiles.MinifiedStaticFilesStorage"}
    WHITENOISE_AUTOREFRESH = False
    WHITENOISE_USE_FINDERS = False
TASKS["BACKOFF_BASE_SECONDS"] = 1  # noqa: F405
INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405
