"""The bridge's settings, read from Django settings when needed (never copied at import)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Telegram's documented flood limits. `margin` widens each window a little, so that network jitter between
# the reservation here and the arrival at Telegram never turns a conforming pace into a 429.
DEFAULT_LIMITS = {"per_chat": (1, 1.0), "per_group": (20, 60.0), "overall": (30, 1.0), "margin": 0.05}
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    per_chat: tuple[int, float]
    per_group: tuple[int, float]
    overall: tuple[int, float]
    margin: float


def token() -> str:
    return str(settings.TELEGRAM_BOT_TOKEN or "")


def bot_id() -> int | None:
    """The bot's own user id: the digits before the colon of its token."""
    head = token().split(":", 1)[0]
    return int(head) if head.isdigit() else None


def enabled() -> bool:
    """Whether Telegram is configured on this server: the one place that says so (a token is set). Without it the
    bridge never runs, so nothing may offer a link or a code that only the bot could take."""
    return bool(token())


def base_url() -> str:
    return str(settings.TELEGRAM_API_BASE_URL or "https://api.telegram.org/bot")


def base_file_url() -> str:
    """The contract: the file URL is the API URL with its final `/bot` replaced by `/file/bot`."""
    url = base_url()
    head, sep, tail = url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else url


def send_timeout() -> float:
    """Seconds to wait for Telegram's answer to a send. A time-out after the request left leaves the outcome
    unknown: the part is flagged uncertain and never sent twice (docs/telegram.md). The fault tests shorten it
    (TELEGRAM_SEND_TIMEOUT_SECONDS in tests/faults/settings.py); production keeps the default."""
    return float(getattr(settings, "TELEGRAM_SEND_TIMEOUT_SECONDS", 30.0))


def webhook_secret() -> str:
    return str(getattr(settings, "TELEGRAM_WEBHOOK_SECRET", "") or "")


POLLING = "polling"
WEBHOOK = "webhook"


def mode() -> str:
    """How updates come in: "polling" (the default) or "webhook". Anything else is a configuration error."""
    value = str(getattr(settings, "TELEGRAM_MODE", "") or POLLING).strip().lower()
    if value not in (POLLING, WEBHOOK):
        raise ImproperlyConfigured(f"TELEGRAM_MODE must be 'polling' or 'webhook', not {value!r}")
    return value


def webhook_enabled() -> bool:
    """The webhook URL acts only in webhook mode, and only with a secret that Telegram must echo back."""
    return enabled() and mode() == WEBHOOK and bool(webhook_secret())


def bot_key() -> str:
    """A stable name for this bot that does not reveal its token (lease and offset rows)."""
    raw = token()
    bot_id = raw.split(":", 1)[0] if ":" in raw else ""
    digest = hashlib.sha256(raw.encode()).hexdigest()[:12]
    return f"{bot_id}-{digest}"


def limits() -> Limits:
    raw = {**DEFAULT_LIMITS, **getattr(settings, "TELEGRAM_SEND_LIMITS", {})}
    return Limits(
        per_chat=tuple(raw["per_chat"]),  # type: ignore[arg-type]
        per_group=tuple(raw["per_group"]),  # type: ignore[arg-type]
        overall=tuple(raw["overall"]),  # type: ignore[arg-type]
        margin=float(raw["margin"]),  # type: ignore[arg-type]
    )
