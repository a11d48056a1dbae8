import logging
import os

from django.apps import AppConfig


class BotsConfig(AppConfig):
    name = "bots"
    label = "bots"
    verbose_name = "Jembatan Telegram"

    def ready(self) -> None:
        # Outbox handlers, periodic jobs and the built-in commands register themselves on import.
        from . import (  # noqa: F401
            builtin,
            intake,
            sender,
            ticket_hooks,
        )

        # httpx logs each request URL at INFO, and Bot API URLs carry the bot token (python-telegram-bot
        # and the readiness check both use httpx): keep those lines out of the logs.
        httpx_log = logging.getLogger("httpx")
        if httpx_log.getEffectiveLevel() < logging.WARNING:
            httpx_log.setLevel(logging.WARNING)

        # python-telegram-bot 22 gives time periods (a 429's retry_after) as seconds with a deprecation warning
        # on every read, and as timedelta from its next major version or with this switch; the sender reads
        # both, so take the coming form now (no warning in the logs on each 429).
        os.environ.setdefault("PTB_TIMEDELTA", "1")
