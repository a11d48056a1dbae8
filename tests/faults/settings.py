"""Settings for the processes the fault tests start: the cluster test's (production settings, wide flood limits),
with a short Telegram read time-out, so that an injected slow answer times out in seconds, not in thirty."""

from tests.cluster.settings import *  # noqa: F403

TELEGRAM_SEND_TIMEOUT_SECONDS = 2.0
