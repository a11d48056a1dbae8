"""The two shapes of an event: inside the system (group messages, replay) and on the websocket."""

from __future__ import annotations

from typing import Any

from .models import StreamEvent

# What group messages and replays carry: the client's fields plus what a consumer needs to filter and order.
WireEvent = dict[str, Any]


def wire(row: StreamEvent) -> WireEvent:
    return {
        "gid": row.pk,
        "seq": row.seq,
        "stream": row.stream,
        "type": row.type,
        "data": row.data,
        "at": row.at.isoformat().replace("+00:00", "Z"),
        "audience": row.audience,
    }


def frame(event: WireEvent) -> dict[str, Any]:
    """The event as the client sees it (docs/realtime.md)."""
    return {
        "id": str(event["seq"]),
        "type": event["type"],
        "stream": event["stream"],
        "data": event["data"],
        "at": event["at"],
    }
