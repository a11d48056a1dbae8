"""The pages opt in to live updates with positions taken as of the data they show."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from helpdesk.realtime import log
from helpdesk.realtime.models import StreamEvent
from helpdesk.tickets import services
from tests.tickets.conftest import World

pytestmark = pytest.mark.django_db


def test_the_ticket_page_resumes_from_the_state_it_shows(world: World) -> None:
    ticket = world.ticket()
    services.message_create(ticket=ticket, author=world.op_a, body="Masih galat.")
    page = Client()
    page.force_login(world.op_a)
    html = page.get(ticket.get_absolute_url()).content.decode()
    assert 'data-live="/ws/"' in html and "js/live.js" in html
    assert f'data-user="{world.op_a.pk}"' in html
    position = int(re.search(rf'data-live-streams="ticket:{ticket.pk}@(\d+)"', html).group(1))  # type: ignore[union-attr]
    # Everything published after the ticket's last change is replayed to the page (a repeat is harmless).
    assert position <= log.head(f"ticket:{ticket.pk}")
    assert [e["seq"] for e in log.replay(f"ticket:{ticket.pk}", position).events] == list(
        range(position + 1, log.head(f"ticket:{ticket.pk}") + 1)
    )
    assert 'data-live-presence="ticket:' in html


def test_the_queue_follows_the_volunteers_forums(world: World) -> None:
    world.ticket()
    page = Client()
    page.force_login(world.vol_lotim)
    html = page.get("/antrian/").content.decode()
    assert f'data-live-streams="queue:{world.lotim.pk}@{log.head(f"queue:{world.lotim.pk}")}"' in html
    assert '<noscript><meta http-equiv="refresh"' in html


def test_signed_out_pages_load_no_live_script(world: World) -> None:
    ticket = world.ticket(visibility="public")
    html = Client().get(ticket.get_absolute_url()).content.decode()
    assert "live.js" not in html and "data-live-streams" not in html


def test_head_as_of_a_moment(world: World) -> None:
    stream = f"user:{world.op_a.pk}"
    assert log.head_as_of(stream, timezone.now()) == 0
    first = log.publish(stream, "notification.created", {"n": 1})
    log.publish(stream, "notification.created", {"n": 2})
    StreamEvent.objects.filter(pk=first["gid"]).update(at=timezone.now() - timedelta(minutes=5))
    assert log.head_as_of(stream, timezone.now() - timedelta(minutes=1)) == 1
    assert log.head_as_of(stream, timezone.now()) == 2
    assert log.head_as_of(stream, timezone.now() - timedelta(minutes=10)) == 0


def test_a_live_refresh_leaves_the_flash_for_the_next_page(world: World) -> None:
    # The claim's own event makes the old page fetch itself again while the browser follows the redirect:
    # that background fetch must not take the "you took it" message from the page the volunteer is loading.
    ticket = world.ticket()
    page = Client()
    page.force_login(world.vol_lotim)
    assert page.post(f"/tiket/{ticket.number}/aksi/ambil/").status_code == 302
    live = page.get(ticket.get_absolute_url(), HTTP_X_LIVE="1").content.decode()
    assert 'class="flash"' not in live and 'id="tiket"' in live
    assert "Tiket ini sekarang Anda tangani." in page.get(ticket.get_absolute_url()).content.decode()
