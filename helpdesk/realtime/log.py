"""The event log: `publish()` records an event in the caller's transaction; replay reads it back per stream.

The database log is the source of truth on every deployment. Redis (when configured) only carries events to
other ASGI processes: a Redis stream could not be written in the same transaction as the change, so a crash or
a Redis outage between commit and XADD would lose events, and replay would depend on Redis being up. See
docs/realtime.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from . import conf, fanout, streams
from .models import ConnectionKey, StreamEvent, StreamHead
from .wire import WireEvent, wire


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    # Datetimes, decimals and lazy strings become JSON values once, so that every consumer, the channel
    # layer (msgpack) and the database see the same thing.
    result: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return result


def next_seq(stream: str) -> int:
    """The next number of `stream`, taken inside the caller's transaction (the row lock lasts until commit)."""
    table = StreamHead._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (stream, seq) VALUES (%s, 1) "  # noqa: S608 - fixed table name
            f"ON CONFLICT (stream) DO UPDATE SET seq = {table}.seq + 1 RETURNING seq",
            [stream],
        )
        row = cursor.fetchone()
    return int(row[0])


def publish(stream: str, type: str, data: dict[str, Any], *, audience: str | None = None) -> WireEvent:
    """Record an event on `stream`; it reaches subscribers after the surrounding transaction commits.

    Call it from a service, inside the transaction of the change. `audience` restricts delivery to those who
    pass the check of that name registered for the stream's kind (e.g. "internal" on ticket streams). Never
    raises for a fan-out problem: the log row is the event, delivery is best effort and replay fills gaps.
    """
    audience = audience or ""
    streams.check_publishable(stream, audience)
    if not type or len(type) > 40:
        raise ValueError(f"bad event type {type!r}")
    payload = _json_safe(data)
    with transaction.atomic(savepoint=False):
        seq = next_seq(stream)
        row = StreamEvent.objects.create(stream=stream, seq=seq, type=type, data=payload, audience=audience)
        event = wire(row)
        transaction.on_commit(partial(fanout.after_commit, event))
    return event


def head(stream: str) -> int:
    """The last sequence number of `stream` (0 when nothing was ever published on it)."""
    return int(StreamHead.objects.filter(stream=stream).values_list("seq", flat=True).first() or 0)


def head_as_of(stream: str, moment: Any) -> int:
    """The last sequence number of `stream` published at or before `moment` (for pages rendered from data
    loaded at that time: a replay from here repeats a little rather than missing anything)."""
    seq = (
        StreamEvent.objects.filter(stream=stream, at__lte=moment).order_by("-seq").values_list("seq", flat=True).first()
    )
    if seq is not None:
        return int(seq)
    first = StreamEvent.objects.filter(stream=stream).order_by("seq").values_list("seq", flat=True).first()
    # Nothing retained that old: start before the oldest retained event (or at the head if none is retained).
    return int(first) - 1 if first is not None else head(stream)


@dataclass(frozen=True)
class Replay:
    events: list[WireEvent]
    head: int
    reload: bool  # too much was missed (or the log was purged or reset): the client must reload


def replay(stream: str, after: int, *, limit: int | None = None) -> Replay:
    """What a client that saw `stream` up to `after` missed, in order; or `reload` when that can't be given."""
    limit = limit or conf.get_int("REALTIME_REPLAY_MAX")
    current = head(stream)
    if after >= current:
        # Nothing missed, or the client has ids from another database (a reset): positions past the head
        # can't be trusted.
        return Replay(events=[], head=current, reload=after > current)
    if current - after > limit:
        return Replay(events=[], head=current, reload=True)
    rows = list(StreamEvent.objects.filter(stream=stream, seq__gt=after, seq__lte=current).order_by("seq"))
    # Numbers are dense: anything short of the full range means the oldest part was purged.
    if not rows or rows[0].seq != after + 1 or len(rows) != current - after:
        return Replay(events=[], head=current, reload=True)
    return Replay(events=[wire(r) for r in rows], head=current, reload=False)


def missing(stream: str, after: int, before: int) -> list[WireEvent]:
    """Events strictly between two sequence numbers (a gap seen live), in order."""
    rows = StreamEvent.objects.filter(stream=stream, seq__gt=after, seq__lt=before).order_by("seq")
    return [wire(r) for r in rows]


def purge() -> tuple[int, int]:
    """Drop events past the retention and spent connection keys; returns how many of each."""
    cutoff = timezone.now() - timedelta(seconds=conf.get("REALTIME_RETENTION_SECONDS"))
    events, _ = StreamEvent.objects.filter(at__lt=cutoff).delete()
    keys, _ = ConnectionKey.objects.filter(expires_at__lt=timezone.now() - timedelta(minutes=5)).delete()
    return events, keys
