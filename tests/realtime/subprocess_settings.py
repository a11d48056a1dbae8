"""Settings for ASGI, worker and shell processes that a realtime test starts: the test settings, plus Redis
(test settings drop REDIS_URL on purpose, so it comes in under another name) and realtime knobs as JSON."""

import json
import os

from helpdesk.settings.test import *  # noqa: F403

_redis = os.environ.get("HELPDESK_TEST_REALTIME_REDIS_URL", "")
if _redis:
    REDIS_URL = _redis
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [_redis], "prefix": os.environ.get("HELPDESK_TEST_REALTIME_PREFIX", "asgi")},
        }
    }
globals().update(json.loads(os.environ.get("HELPDESK_TEST_REALTIME_SETTINGS", "{}")))
