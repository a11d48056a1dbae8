"""Settings for every deployment, read once from the environment.

Unset variables fall back to the embedded default: SQLite, the in-memory channel layer, database search and
the database task queue. See README.md (Configuration) and deploy/env.example for every variable.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .env import (
    database_config,
    email_config,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_str,
    is_insecure_secret_key,
    redact_url,
    search_config,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("HELPDESK_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY and (VAR_DIR / "secret_key").is_file():
    # The key `make run` generated for this checkout, so that every manage.py command works there as written.
    SECRET_KEY = (VAR_DIR / "secret_key").read_text().strip()
if is_insecure_secret_key(SECRET_KEY):
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY: unset or insecure (needs 50+ random characters); set it, or DEBUG=1 for development"
        )
    SECRET_KEY = SECRET_KEY or "django-insecure-development-only-key-do-not-use-in-production-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "csp",
    "helpdesk.core",
    "helpdesk.regions",
    "helpdesk.categories",
    "helpdesk.accounts",
    "search",
    "helpdesk.notifications",
    "helpdesk.tickets",
    "helpdesk.community",
    "helpdesk.kb",
    "helpdesk.dashboards",
    "bots",
    "helpdesk.realtime",
    "helpdesk.demo",  # composition: seed_demo imports every app above
]

MIDDLEWARE = [
    "helpdesk.core.middleware.RequestIdMiddleware",
    "helpdesk.core.metrics.MetricsMiddleware",
    # Compresses HTML and JSON (static files are precompressed by WhiteNoise). Safe with secrets in the page:
    # Django masks the CSRF token afresh in every response and, since 4.2, pads each gzip stream with random
    # bytes against BREACH; no other secret is written into pages. See docs/deploy.md ("Compression").
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "helpdesk.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "helpdesk.core.middleware.CommonMiddleware",  # Django's, with a 308 for an API path missing its slash
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "helpdesk.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "helpdesk.core.middleware.XAccelRedirectMiddleware",
    "helpdesk.core.middleware.QuietPermissionDeniedMiddleware",
    "helpdesk.core.middleware.MethodNotAllowedPageMiddleware",
    "helpdesk.core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
ASGI_APPLICATION = "helpdesk.asgi.application"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "helpdesk" / "templates"],
        "OPTIONS": {
            # Django's own loaders (cached, then the directories and the apps), reading the project's HTML
            # templates without their indentation and blank lines (helpdesk/core/template_loaders.py).
            "loaders": [("django.template.loaders.cached.Loader", [
                "helpdesk.core.template_loaders.FilesystemLoader",
                "helpdesk.core.template_loaders.AppDirectoriesLoader",
            ])],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "helpdesk.notifications.context_processors.unread",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
DATABASES = {"default": database_config(env_str("DATABASE_URL"), sqlite_default=str(VAR_DIR / "db.sqlite3"))}
# Seconds a connection is kept between requests; 0 (default) closes it after each. docs/deploy.md, "PostgreSQL".
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0)
# 1 behind PgBouncer in transaction mode, where a server-side cursor (QuerySet.iterator()) cannot outlive
# its transaction. Default 0.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters sent apart from the SQL, and a statement that one connection runs a fifth time prepared on the
    # server, so PostgreSQL stops parsing and planning it: about half of its CPU per ticket filing (docs/deploy.md,
    # section 12). Prepared statements belong to a connection, so they pay with DATABASE_CONN_MAX_AGE > 0. Set
    # DATABASE_PREPARED_STATEMENTS=0 behind PgBouncer in transaction mode unless it keeps them (1.21 or later,
    # max_prepared_statements > 0).
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5 if env_bool("DATABASE_PREPARED_STATEMENTS", True) else None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis and the channel layer -----------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"REDIS_URL: expected redis://host:6379/0, got {redact_url(REDIS_URL)!r}")
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000, "expiry": 30},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Search ----------------------------------------------------------------------------------------------
SEARCH = search_config(env_str("SEARCH_URL")).as_dict()
SEARCH_TIMEOUT_SECONDS = env_int("SEARCH_TIMEOUT_SECONDS", 2, minimum=1)
SEARCH_INDEX_PREFIX = env_str("SEARCH_INDEX_PREFIX", "helpdesk")
# Engine index layout (docs/search.md, "Moving to an engine cluster"); applied by `search_reindex`.
SEARCH_SHARDS = env_int("SEARCH_SHARDS", 1, minimum=1)
SEARCH_REPLICAS = env_int("SEARCH_REPLICAS", 0, minimum=0)

# --- Telegram ----------------------------------------------------------------------------------------------
TELEGRAM_BOT_TOKEN = env_str("TELEGRAM_BOT_TOKEN")
TELEGRAM_API_BASE_URL = env_str("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot")
TELEGRAM_WEBHOOK_SECRET = env_str("TELEGRAM_WEBHOOK_SECRET")
# "polling" (default: `manage.py telegram_bridge` long-polls, the webhook URL answers 404) or "webhook"
# (Telegram POSTs to /telegram/webhook/, which then also needs TELEGRAM_WEBHOOK_SECRET). docs/telegram.md.
TELEGRAM_MODE = env_str("TELEGRAM_MODE", "polling")

# --- Background work -------------------------------------------------------------------------------------
TASKS = {
    "POLL_SECONDS": env_float("TASKS_POLL_SECONDS", 0.5, minimum=0.01),
    "LEASE_SECONDS": env_int("TASKS_LEASE_SECONDS", 60, minimum=5),
    "MAX_ATTEMPTS": env_int("TASKS_MAX_ATTEMPTS", 8, minimum=1),
    "BACKOFF_BASE_SECONDS": env_int("TASKS_BACKOFF_BASE_SECONDS", 5, minimum=1),
    "BACKOFF_MAX_SECONDS": env_int("TASKS_BACKOFF_MAX_SECONDS", 3600, minimum=1),
    "HEARTBEAT_STALE_SECONDS": env_int("TASKS_HEARTBEAT_STALE_SECONDS", 60, minimum=5),
}

# --- E-mail ------------------------------------------------------------------------------------------------
globals().update(email_config(env_str("EMAIL_URL")))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "SID Helpdesk <bantuan@localhost>")

# --- Auth ------------------------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/masuk/"
LOGIN_REDIRECT_URL = "/"

# --- Internationalisation ----------------------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "helpdesk" / "locale"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "Asia/Makassar")  # WITA, the pilot's zone; stored times are UTC
USE_TZ = True

# --- Static and uploaded files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "helpdesk" / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "/media/"  # never served directly: attachments go through an access-checked view
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhiteNoise's hashed and precompressed files, with the project's CSS and JS minified first.
    "staticfiles": {"BACKEND": "helpdesk.core.staticfiles.MinifiedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# 1 behind nginx: an attachment that passed the access check is sent by nginx (X-Accel-Redirect to this
# internal location, which aliases MEDIA_ROOT) instead of being streamed by a web process. docs/deploy.md.
ATTACHMENTS_X_ACCEL = env_bool("ATTACHMENTS_X_ACCEL", False)
ATTACHMENTS_X_ACCEL_PREFIX = "/" + env_str("ATTACHMENTS_X_ACCEL_PREFIX", "/_protected/").strip("/") + "/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Security ----------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Forms carry the token in a hidden field; no script of ours reads the cookie, so no script may.
CSRF_COOKIE_HTTPONLY = True
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_FAILURE_VIEW = "helpdesk.core.views.csrf_failure"  # the site's page, in the person's language
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS and env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = HTTPS and env_bool("SECURE_HSTS_PRELOAD", False)
# 1 behind nginx: X-Forwarded-Proto and X-Forwarded-For are trusted, so nginx must overwrite them. 0: clients
# connect directly. Unset in production is a warning (helpdesk.W004): docs/deploy.md, "BEHIND_PROXY".
BEHIND_PROXY: bool | None = env_bool("BEHIND_PROXY", False) if env_str("BEHIND_PROXY") else None
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None

# No inline scripts or styles anywhere: every script is a static file of the project's own.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- REST API --------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its `WWW-Authenticate: Token` header makes a missing sign-in a 401, as the contract says
    # (with session auth first, DRF turns 401 into 403). Both still authenticate every request.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "helpdesk.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "helpdesk.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "helpdesk.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SID Helpdesk API",
    "DESCRIPTION": "API pusat bantuan teknis OpenSID: tiket, basis pengetahuan, forum ForSID.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set that several serializers share (drf_spectacular.W001 otherwise).
    "ENUM_NAME_OVERRIDES": {
        "OperatorStatusEnum": "helpdesk.accounts.models.User.OperatorStatus",
        "TicketStatusEnum": "helpdesk.tickets.models.Status",
    },
}

# --- Cache (login throttling, rate limits) ---------------------------------------------------------------
# Kept in the database on purpose: counters must be shared by every process, and a Redis outage must not
# turn sign-in into a 500. `migrate` is followed by `createcachetable` in every start script.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "helpdesk_cache"}}

# --- Logging -----------------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
# "json": one JSON object a line with the request id (helpdesk/core/logs.py); "plain" for people reading a terminal.
# Bearer token for GET /metrics (Prometheus); unset: /metrics answers 404. helpdesk/core/metrics.py.
METRICS_TOKEN = env_str("METRICS_TOKEN")
LOG_FORMAT = env_choice("LOG_FORMAT", "plain", ("plain", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "helpdesk.core.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {"()": "helpdesk.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
AUTH_USER_MODEL = "accounts.User"

# --- Tickets -------------------------------------------------------------------------------------------------
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 10, minimum=1) * 1024 * 1024
# Per-user limits: (actions, window in seconds).
RATE_LIMITS = {
    "ticket_create": (env_int("RATE_TICKETS_PER_HOUR", 30, minimum=1), 3600),
    "message_create": (env_int("RATE_MESSAGES_PER_HOUR", 240, minimum=1), 3600),
    "attachment_create": (env_int("RATE_ATTACHMENTS_PER_HOUR", 120, minimum=1), 3600),
    "forum_flag": (env_int("RATE_FORUM_FLAGS_PER_HOUR", 10, minimum=1), 3600),
    "forum_vote": (env_int("RATE_FORUM_VOTES_PER_HOUR", 120, minimum=1), 3600),
    "forum_comment": (env_int("RATE_FORUM_COMMENTS_PER_HOUR", 60, minimum=1), 3600),
    # Accounts without an accepted answer or any reputation yet: public questions, answers and comments a day.
    "forum_new_account_post": (env_int("FORUM_NEW_ACCOUNT_POSTS_PER_DAY", 5, minimum=1), 86400),
    # Knowledge-base searches and suggestions (web pages and API) a minute: per IP address for anonymous callers,
    # generous because a village office shares one address; per account for signed-in users.
    "kb_search_anon": (env_int("RATE_KB_SEARCH_ANON_PER_MINUTE", 120, minimum=1), 60),
    "kb_search_user": (env_int("RATE_KB_SEARCH_USER_PER_MINUTE", 240, minimum=1), 60),
}

# --- Realtime (websockets) ---------------------------------------------------------------------------------
# How long the event log keeps events for clients that reconnect; at least an hour. Other knobs: realtime/conf.py.
# Knowledge-base search log (queries masked, no address): kept this many days, then purged daily.
KB_SEARCH_LOG_RETENTION_DAYS = env_int("KB_SEARCH_LOG_RETENTION_DAYS", 180, minimum=1)
REALTIME_RETENTION_SECONDS = env_int("REALTIME_RETENTION_SECONDS", 3600, minimum=3600)

# Dashboards (docs/dashboards.md): the province's adoption target, the oldest OpenSID release that counts as
# current (versions are vYYMM.x.y, compared by their vYYMM part), and the licence of the open data.
ADOPTION_TARGET_PERCENT = env_int("ADOPTION_TARGET_PERCENT", 70, minimum=1)
ADOPTION_CURRENT_VERSION = env_str("ADOPTION_CURRENT_VERSION", "v2407")
OPEN_DATA_LICENSE = env_str("OPEN_DATA_LICENSE", "CC BY 4.0")
# The figures of each region over the default period are refreshed by a job (oldest first, every minute); a snapshot
# older than this is never shown (the figures are computed on the spot instead).
DASHBOARD_SNAPSHOT_MAX_AGE_MINUTES = env_int("DASHBOARD_SNAPSHOT_MAX_AGE_MINUTES", 15, minimum=1)
# Figures computed on the spot (filters, other periods; PostgreSQL): sort memory for their transaction, so the
# median and p90 sorts stay in memory, and the longest a request's query may run before the page answers 503.
DASHBOARD_WORK_MEM = env_str("DASHBOARD_WORK_MEM", "64MB")
DASHBOARD_STATEMENT_TIMEOUT_MS = env_int("DASHBOARD_STATEMENT_TIMEOUT_MS", 10_000, minimum=100)
# PostgreSQL: a filtered view of whole months over a kabupaten or more that holds at least this many tickets is
# summed from the monthly rollup (medians and p90 from histograms, within 9 %) instead of counted live.
DASHBOARD_ROLLUP_MIN_TICKETS = env_int("DASHBOARD_ROLLUP_MIN_TICKETS", 200_000, minimum=0)
