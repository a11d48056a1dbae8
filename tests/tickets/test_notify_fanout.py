"""A new ticket notifies every volunteer of its forum inside the filing's transaction: once each, with the live
badge's unread count right, in a number of queries that does not grow by five per volunteer (issue 18: that
fan-out was two thirds of the time of a filing on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk.notifications import services as notifications
from helpdesk.notifications.models import Notification
from helpdesk.realtime.models import StreamEvent
from tests.factories import volunteer
from tests.tickets.conftest import World

pytestmark = pytest.mark.django_db


def test_notify_many_writes_once_each_with_the_right_unread_counts(world: World) -> None:
    people = [volunteer(world.lotim, username=f"banyak{i}") for i in range(6)]
    people[0].is_active = False
    people[0].save(update_fields=["is_active"])
    Notification.objects.create(user=people[1], type="ticket_new", text="lama")
    sent = notifications.notify_many([*people, people[2]], event="ticket_new", text="Tiket baru NTB-1",
                                     url="/tiket/1/", ticket_id=None, group_key="g")
    assert sent == 5
    assert not Notification.objects.filter(user=people[0]).exists()
    for person in people[1:]:
        row = Notification.objects.get(user=person, text="Tiket baru NTB-1")
        event = StreamEvent.objects.get(stream=f"user:{person.pk}", type="notification.created")
        assert event.data["id"] == row.pk and event.data["url"] == "/tiket/1/" and event.data["text"] == row.text
        assert event.data["unread"] == (2 if person == people[1] else 1)


def test_notify_many_queries_do_not_grow_by_the_row_and_count_per_person(world: World) -> None:
    def queries(n: int, tag: str) -> int:
        people = [volunteer(world.lotim, username=f"{tag}{i}") for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            notifications.notify_many(people, event="ticket_new", text="Tiket baru")
        return len(ctx.captured_queries)

    two, eight = queries(2, "dua"), queries(8, "delapan")
    # What remains per person is the live event (its stream counter and row); the insert and the count are shared.
    assert eight - two <= 6 * 2
