"""Realtime settings with their defaults, read from django.conf.settings when needed (never copied at import).

Only the retention is taken from the environment (REALTIME_RETENTION_SECONDS in settings/base.py); the rest are
tuning knobs that a deployment rarely needs, and tests override them with `override_settings`.
"""

from __future__ import annotations

from django.conf import settings

DEFAULTS: dict[str, float] = {
    # How long the event log keeps events for replay; at least an hour.
    "REALTIME_RETENTION_SECONDS": 3600,
    # A reconnecting client that missed more than this many events on one stream is told to reload.
    "REALTIME_REPLAY_MAX": 500,
    # Embedded default: how often the ASGI process reads the event log for events of other processes.
    "REALTIME_POLL_SECONDS": 0.25,
    # An id the log follower has not seen yet while later ids exist is waited for this long (a transaction
    # that took its id earlier but committed later), then given up.
    "REALTIME_HOLE_SECONDS": 10,
    # Presence: a viewer who has not refreshed their state for this long is gone.
    "REALTIME_PRESENCE_TTL_SECONDS": 12,
    # Limits per connection.
    "REALTIME_MAX_FRAME_BYTES": 4096,
    "REALTIME_MAX_SUBSCRIPTIONS": 100,
    "REALTIME_RATE_PER_SECOND": 10,
    "REALTIME_RATE_BURST": 40,
    "REALTIME_RATE_DROPS_BEFORE_CLOSE": 100,
    # Bytes written to a client but not yet taken by it; past this the client is dropped and told to resume.
    "REALTIME_SEND_BUFFER_BYTES": 1024 * 1024,
    # Messages waiting for one connection in this process; past this they are dropped and read from the log.
    "REALTIME_INBOX_SIZE": 1000,
    # Subscriptions are checked again with the access functions when an event arrives this long after the
    # last check (a volunteer who left the forum stops receiving its queue).
    "REALTIME_RECHECK_SECONDS": 30,
    # Single-use connection keys (POST /api/v1/realtime/ticket/).
    "REALTIME_KEY_TTL_SECONDS": 60,
    # Redis fan-out from processes without an event loop: sends waiting at most this long, queue bounded.
    "REALTIME_PUBLISH_TIMEOUT_SECONDS": 2.0,
    "REALTIME_PUBLISH_QUEUE": 10000,
}


def get(name: str) -> float:
    return float(getattr(settings, name, DEFAULTS[name]))


def get_int(name: str) -> int:
    return int(get(name))


def follows_log() -> bool:
    """True on the in-memory channel layer: each ASGI process reads the event log to see other processes' events."""
    backend = str(settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", ""))
    return backend.endswith("InMemoryChannelLayer")
