"""Settings for the processes `make cluster-test` starts: production settings (helpdesk.settings.base, DEBUG=0,
everything from the environment), with Telegram's flood limits widened. The fake Bot API does not enforce them,
and at the real 20 messages a minute per group one group would make the run take many minutes; the limiter itself
is measured in tests/bench/workloads_telegram.py."""

from helpdesk.settings.base import *  # noqa: F403

TELEGRAM_SEND_LIMITS = {"per_chat": (50, 1.0), "per_group": (3000, 60.0), "overall": (100, 1.0), "margin": 0.05}
