"""A new ticket notifies every volunteer of its forum inside the filing's transaction: once each, with the live
badge's unread count right, in a number of queries that does not grow by five per volunteer (issue 18: that
fan-out was two thirds of the time of a filing on PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk.notifications import services as notifications
from helpdesk.notifications.models import Notification
from helpdesk.notifications.selectors import UNREAD_LIMIT, unread_counts
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


def test_unread_counts_stop_at_the_limit_and_the_badge_says_99_plus(world: World, client: Any) -> None:
    many, few = volunteer(world.lotim, username="penumpuk"), volunteer(world.lotim, username="rajin")
    Notification.objects.bulk_create([Notification(user=many, type="ticket_new", text=f"lama {i}")
                                      for i in range(UNREAD_LIMIT + 50)])
    Notification.objects.create(user=few, type="ticket_new", text="satu")
    Notification.objects.create(user=few, type="ticket_new", text="dibaca", read_at=timezone.now())
    assert unread_counts([many.pk, few.pk, world.op_a.pk]) == {many.pk: UNREAD_LIMIT, few.pk: 1}
    notifications.notify_many([many, few], event="ticket_new", text="Tiket baru NTB-2", group_key="g2")
    events = {e.stream: e.data["unread"] for e in StreamEvent.objects.filter(type="notification.created")}
    assert events == {f"user:{many.pk}": UNREAD_LIMIT, f"user:{few.pk}": 2}
    client.force_login(many)
    html = client.get("/notifikasi/").content.decode()
    assert '<span class="count">99+</span>' in html and "Lebih dari 99 notifikasi belum dibaca" in html
    api = APIClient()
    api.force_authenticate(many)
    assert api.get("/api/v1/notifications/").json()["unread"] == UNREAD_LIMIT
    assert api.post("/api/v1/notifications/read/", {"all": True}, format="json").json()["unread"] == 0
    client.force_login(few)
    html = client.get("/notifikasi/").content.decode()
    assert '<span class="count">2</span>' in html and "2 notifikasi belum dibaca" in html
