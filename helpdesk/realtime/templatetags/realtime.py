"""`{% live_streams "ticket" ticket as_of=ticket.updated_at %}`: the streams a page follows, each with the
position its script should resume from ("ticket:42@17 ...").

A page shows data read at some moment; its script subscribes from these positions as last_event_id, so what
was published after that moment is replayed, even if it happened while the page was being rendered. With
`as_of`, the position is the last event at or before that time (a replay may repeat a little; the page
applies events idempotently); without it, the stream's current head.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from helpdesk.realtime import log, streams

register = template.Library()


@register.simple_tag
def live_streams(kind: str, objects: Any, as_of: Any = None) -> str:
    items: Iterable[Any] = objects if isinstance(objects, Iterable) else [objects]
    parts = []
    for obj in items:
        stream = streams.name(kind, getattr(obj, "pk", obj))
        position = log.head_as_of(stream, as_of) if as_of is not None else log.head(stream)
        parts.append(f"{stream}@{position}")
    return " ".join(parts)
