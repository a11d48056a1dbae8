"""Crash points for the crash tests: `HELPDESK_TELEGRAM_CRASH_AT=<point>` makes the process die there.

A process dies with os._exit, as a kill -9 would leave it: no cleanup, no rollback handlers, no flush.
Unset in production; reading one environment variable per call is the whole cost.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

POINTS = {
    "before_send",  # a part is marked `sending` (committed), its request has not left
    "after_send",  # Telegram accepted the part, its message id is not recorded yet
    "after_record",  # the message id is recorded, the outbox job is not acknowledged yet
    "apply_update",  # inside the transaction that applies an update
    "after_store",  # polled updates and the new offset are committed, nothing applied yet
}


def crash_point(name: str) -> None:
    wanted = os.environ.get("HELPDESK_TELEGRAM_CRASH_AT", "")
    if wanted and wanted == name:
        log.warning("crash point %s reached: exiting as if killed", name)
        os._exit(137)
