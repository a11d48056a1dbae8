"""The event log: `publish()` records an event in the caller's transaction; replay reads it back per stream.

The database log is the source of truth on every deployment. Redis (when configured) only carries events to
other ASGI processes: a Redis stream could not be written in the same transaction as the change, so a crash or
a Redis outage between commit and XADD would lose events, and replay would depend on Redis being up. See
docs/realtime.md.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


# Publications waiting for the end of the innermost `batch()` block of this thread (None: write at once).
_pending: ContextVar[list[tuple[str, str, dict[str, Any], str]] | None] = ContextVar("realtime_pending", default=None)


def publish(stream: str, type: str, data: dict[str, Any], *, audience: str | None = None) -> WireEvent | None:
    """Record an event on `stream`; it reaches subscribers after the surrounding transaction commits.

    Call it from a service, inside the transaction of the change. `audience` restricts delivery to those who
    pass the check of that name registered for the stream's kind (e.g. "internal" on ticket streams). Never
    raises for a fan-out problem: the log row is the event, delivery is best effort and replay fills gaps.
    Returns the event as written, or None inside `batch()`, where it is written when the block ends.
    """
    audience = audience or ""
    streams.check_publishable(stream, audience)
    if not type or len(type) > 40:
        raise ValueError(f"bad event type {type!r}")
    payload = _json_safe(data)
    pending = _pending.get()
    if pending is not None:
        pending.append((stream, type, payload, audience))
        return None
    return _write([(stream, type, payload, audience)])[0]


@contextmanager
def batch() -> Iterator[None]:
    """Publications inside the block are written together when it ends, still inside the caller's transaction.

    A stream's number is taken with a row lock on its head that lasts until commit (that is what keeps the
    numbers dense and visible in order). Taken one by one in the middle of a change, those locks were held
    over the rest of the change: every filing in a forum waited on the queue's head and on each volunteer's
    own stream. Here they are all taken at the end, in one statement and in the order of the stream names
    (so two batches cannot deadlock on each other), and the events are written in a second one. Nested
    blocks write with the outermost. An exception leaves the block without writing (the transaction is
    rolled back anyway).
    """
    if _pending.get() is not None:
        yield
        return
    pending: list[tuple[str, str, dict[str, Any], str]] = []
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    if pending:
        _write(pending)


Pending = list[tuple[str, str, dict[str, Any], str]]  # (stream, type, JSON-safe data, audience), in order


def _head_values(counts: Counter[str]) -> tuple[str, list[Any]]:
    """`VALUES (stream, count), ...` in the order of the stream names (the order the head rows are locked in)."""
    names = sorted(counts)
    return ", ".join(["(%s, %s)"] * len(names)), [x for name in names for x in (name, counts[name])]


def _take_numbers(counts: Counter[str]) -> dict[str, int]:
    """Advance each stream's head by its count of new events; the new heads, by stream."""
    table = StreamHead._meta.db_table
    values, params = _head_values(counts)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (stream, seq) VALUES {values} "  # noqa: S608 - fixed table name, placeholders
            f"ON CONFLICT (stream) DO UPDATE SET seq = {table}.seq + EXCLUDED.seq RETURNING stream, seq",
            params,
        )
        return {str(stream): int(seq) for stream, seq in cursor.fetchall()}


def _insert_numbered_postgresql(pending: Pending, counts: Counter[str]) -> list[StreamEvent]:
    """The heads and the events in one statement: the head rows' locks are then held by this transaction only
    for its commit, not for another round trip (and, in a busy process, another wait for the interpreter)."""
    heads, events = StreamHead._meta.db_table, StreamEvent._meta.db_table
    head_values, params = _head_values(counts)
    at = timezone.now()
    params.append(at)
    seen: Counter[str] = Counter()
    rows: list[StreamEvent] = []
    event_values = []
    for n, (stream, type, payload, audience) in enumerate(pending):
        seen[stream] += 1
        event_values.append("(%s::int, %s::text, %s::bigint, %s::text, %s::jsonb, %s::text)")
        params += [n, stream, counts[stream] - seen[stream], type, json.dumps(payload), audience]
        rows.append(StreamEvent(stream=stream, type=type, data=payload, audience=audience, at=at))
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH heads AS (INSERT INTO {heads} (stream, seq) VALUES {head_values} "  # noqa: S608 - fixed names
            f"ON CONFLICT (stream) DO UPDATE SET seq = {heads}.seq + EXCLUDED.seq RETURNING stream, seq) "
            f"INSERT INTO {events} (stream, seq, type, data, audience, at) "
            f"SELECT e.stream, heads.seq - e.back, e.type, e.data, e.audience, %s FROM (VALUES {', '.join(event_values)}) "
            f"AS e(n, stream, back, type, data, audience) JOIN heads ON heads.stream = e.stream ORDER BY e.n "
            f"RETURNING id, stream, seq",
            params,
        )
        written = {(str(stream), int(seq)): int(pk) for pk, stream, seq in cursor.fetchall()}
    # Which row is which: the n-th event of a stream in the batch has the n-th of its new numbers.
    tops = {stream: max(seq for (name, seq) in written if name == stream) for stream in counts}
    seen.clear()
    for row in rows:
        seen[row.stream] += 1
        row.seq = tops[row.stream] - counts[row.stream] + seen[row.stream]
        row.pk = written[(row.stream, row.seq)]
    return rows


def _write(pending: Pending) -> list[WireEvent]:
    counts = Counter(stream for stream, *_ in pending)
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            rows = _insert_numbered_postgresql(pending, counts)
        else:
            heads = _take_numbers(counts)
            following = {stream: heads[stream] - counts[stream] + 1 for stream in counts}
            rows = []
            for stream, type, payload, audience in pending:
                rows.append(StreamEvent(stream=stream, seq=following[stream], type=type, data=payload,
                                        audience=audience))
                following[stream] += 1
            StreamEvent.objects.bulk_create(rows)
        events = [wire(row) for row in rows]
        transaction.on_commit(partial(fanout.after_commit, events))
    return events


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
