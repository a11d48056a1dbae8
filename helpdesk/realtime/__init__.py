"""Live updates over websockets: an event log in the database, fanned out after commit. See docs/realtime.md.

`publish(stream, type, data, audience=None)` is the one way to send an event, called by services inside their
transaction. It is defined here without importing the models at package import time (Django imports this
package before the app registry is ready).
"""

from __future__ import annotations

from typing import Any


def publish(stream: str, type: str, data: dict[str, Any], *, audience: str | None = None) -> dict[str, Any]:
    from .log import publish as log_publish

    return log_publish(stream, type, data, audience=audience)
