"""What keeps one connection from hurting the others: a frame rate limit and a bound on unsent bytes."""

from __future__ import annotations

import functools
import time
from typing import Any


class TokenBucket:
    """`rate` frames a second on average, bursts up to `burst`."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def transport_backlog(send: Any) -> int | None:
    """Bytes written to this websocket's socket that the client has not taken yet, when the server lets us see.

    ASGI gives an application no back-pressure on `send` under daphne: a client that stops reading makes the
    server's write buffer grow. Daphne hands each application `partial(server.handle_reply, protocol)`, and the
    protocol's Twisted transport knows its buffer. Under other servers this returns None (uvicorn, for one,
    applies back-pressure itself: `send` waits, and the channel layer's bounded per-channel queue then drops
    messages, which the consumer notices as a gap in the stream's sequence).
    """
    if not isinstance(send, functools.partial) or not send.args:
        return None
    transport = getattr(send.args[0], "transport", None)
    try:
        return len(transport.dataBuffer) - transport.offset + transport._tempDataLen  # type: ignore[union-attr]
    except (AttributeError, TypeError):
        return None
