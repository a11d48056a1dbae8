"""Live updates over websockets: an event log in the database, fanned out after commit. See docs/realtime.md.

`publish(stream, type, data, audience=None)` is the one way to send an event, called by services inside their
transaction; `batch()` around several publications writes them together at the end of the block. It is defined here without importing the models at package import time (Django imports this
package before the app registry is ready).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any


def publish(stream: str, type: str, data: dict[str, Any], *, audience: str | None = None) -> dict[str, Any] | None:
    from .log import publish as log_publish

    return log_publish(stream, type, data, audience=audience)


def batch() -> AbstractContextManager[None]:
    from .log import batch as log_batch

    return log_batch()
