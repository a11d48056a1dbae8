"""Settings for bridge and worker processes that a Telegram test starts: the test settings plus the fake's
token (test settings drop TELEGRAM_BOT_TOKEN from the environment on purpose, so it comes in under
another name)."""

import os

from helpdesk.settings.test import *  # noqa: F403

TELEGRAM_BOT_TOKEN = os.environ.get("HELPDESK_TEST_TELEGRAM_TOKEN", "")
TELEGRAM_API_BASE_URL = os.environ.get("HELPDESK_TEST_TELEGRAM_BASE_URL", "")
if os.environ.get("HELPDESK_TEST_TELEGRAM_LIMITS"):
    import json

    TELEGRAM_SEND_LIMITS = json.loads(os.environ["HELPDESK_TEST_TELEGRAM_LIMITS"])
