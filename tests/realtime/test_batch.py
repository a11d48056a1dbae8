"""`realtime.batch()`: publications collected over a change are written at its end, numbered densely in order, in
two statements whatever their count; a filing's live events therefore cost the same for two volunteers as for
eight (issue 18: the stream heads were locked one by one over the rest of the filing)."""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from helpdesk import realtime
from helpdesk.realtime import fanout
from helpdesk.realtime.models import StreamEvent, StreamHead
from tests.factories import volunteer
from tests.tickets.conftest import World

pytestmark = pytest.mark.django_db


def _streams(world: World) -> tuple[str, str]:
    return f"user:{world.op_a.pk}", f"user:{world.op_b.pk}"


def test_a_batch_writes_at_its_end_in_order_with_dense_numbers(world: World) -> None:
    first, second = _streams(world)
    before = realtime.publish(first, "notification.created", {"n": 0})
    assert before is not None and before["seq"] == 1
    with CaptureQueriesContext(connection) as ctx, realtime.batch():
        assert realtime.publish(first, "notification.created", {"n": 1}) is None
        assert realtime.publish(second, "notification.created", {"n": 2}) is None
        with realtime.batch():  # nested: written with the outer block
            realtime.publish(first, "notification.created", {"n": 3})
        assert not StreamEvent.objects.filter(data__n__gt=0).exists()
    # The check above, then the heads and the events: one statement on PostgreSQL, two on SQLite.
    assert len(ctx.captured_queries) == (2 if connection.vendor == "postgresql" else 3)
    rows = list(StreamEvent.objects.order_by("pk").values_list("stream", "seq", "data"))
    assert rows == [(first, 1, {"n": 0}), (first, 2, {"n": 1}), (second, 1, {"n": 2}), (first, 3, {"n": 3})]
    assert dict(StreamHead.objects.values_list("stream", "seq")) == {first: 3, second: 1}


def test_a_failed_batch_writes_nothing(world: World) -> None:
    first, _ = _streams(world)
    with pytest.raises(RuntimeError), transaction.atomic(), realtime.batch():
        realtime.publish(first, "notification.created", {"n": 1})
        raise RuntimeError("the change failed")
    assert not StreamEvent.objects.exists() and not StreamHead.objects.exists()
    assert realtime.publish(first, "notification.created", {"n": 2})["seq"] == 1  # type: ignore[index]


def test_a_bad_publication_is_refused_at_once_inside_a_batch(world: World) -> None:
    with pytest.raises(ValueError), realtime.batch():
        realtime.publish("nothing:1", "x", {})


def test_a_filing_costs_the_same_queries_for_two_volunteers_as_for_eight(world: World) -> None:
    def filing_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            world.ticket(world.op_b)
        return len(ctx.captured_queries)

    filing_queries()  # warm: the sequence check, cached per process
    few = filing_queries()
    for i in range(6):
        volunteer(world.lotim, username=f"antre{i}")
    assert filing_queries() == few
    queue = f"queue:{world.lotim.pk}"
    seqs = list(StreamEvent.objects.filter(stream=queue).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) == 3


class _Layer:
    """A channel layer that records what reaches it."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int]] = []

    async def group_send(self, group: str, message: dict[str, object]) -> None:
        self.sent.append((group, message["event"]["seq"]))  # type: ignore[index]


def test_a_commit_hands_its_events_to_the_publisher_in_one_call_in_order(world: World,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    layer = _Layer()
    monkeypatch.setattr(fanout, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(fanout.conf, "follows_log", lambda: False)
    publisher = fanout.Publisher()
    monkeypatch.setattr(fanout, "_publisher", publisher)
    calls: list[int] = []
    submit = publisher.submit
    monkeypatch.setattr(publisher, "submit", lambda messages: (calls.append(len(messages)), submit(messages)))
    first, second = _streams(world)
    with TestCase.captureOnCommitCallbacks(execute=True), realtime.batch():
        for n in range(3):
            realtime.publish(first, "notification.created", {"n": n})
        realtime.publish(second, "notification.created", {"n": 9})
    assert calls == [4]
    assert publisher.flush(timeout=5)
    assert [seq for group, seq in layer.sent if "user" in group] == [1, 2, 3, 1]
    assert publisher.failures == 0


def test_the_publisher_keeps_what_fits_its_queue_and_counts_the_rest(settings: object,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    layer = _Layer()
    monkeypatch.setattr(fanout, "get_channel_layer", lambda: layer)
    settings.REALTIME_PUBLISH_QUEUE = 3  # type: ignore[attr-defined]
    publisher = fanout.Publisher()
    with publisher._lock:
        publisher._pending = 1  # one message still on its way
    publisher.submit([(f"g{n}", {"type": "realtime.event", "event": {"stream": "s", "seq": n}}) for n in range(5)])
    assert publisher.failures == 3
    deadline = time.monotonic() + 5
    while len(layer.sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert layer.sent == [("g0", 0), ("g1", 1)]
    with publisher._lock:
        assert publisher._pending == 1
