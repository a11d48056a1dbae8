"""Periodic upkeep of the event log."""

from __future__ import annotations

import logging
from datetime import timedelta

from helpdesk.core.scheduler import periodic

from . import log

logger = logging.getLogger(__name__)


@periodic("realtime.purge", every=timedelta(minutes=10))
def purge() -> None:
    events, keys = log.purge()
    if events or keys:
        logger.info("realtime: purged %s events and %s connection keys", events, keys)
