"""Twenty volunteers press "Saya tangani" at the same moment: exactly one wins."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import close_old_connections

from helpdesk.core.errors import DomainError
from helpdesk.tickets import services
from helpdesk.tickets.models import Status, Ticket, TicketEvent
from tests.factories import volunteer
from tests.tickets.conftest import World


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_claims_have_one_winner(world: World) -> None:
    ticket = world.ticket()
    volunteers = [volunteer(world.lotim, username=f"rebut{i}") for i in range(20)]
    barrier = threading.Barrier(len(volunteers))
    outcomes: list[Any] = []
    lock = threading.Lock()

    def claim(user: Any) -> None:
        try:
            barrier.wait(timeout=30)
            services.ticket_claim(ticket=Ticket.objects.get(pk=ticket.pk), actor=user)
            result: Any = user.username
        except DomainError as exc:
            result = exc
        finally:
            close_old_connections()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=claim, args=(u,)) for u in volunteers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [o for o in outcomes if isinstance(o, str)]
    losers = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(winners) == 1 and len(losers) == 19
    ticket.refresh_from_db()
    assert ticket.assignee.username == winners[0] and ticket.status == Status.DITANGANI  # type: ignore[union-attr]
    assert all("sudah diambil" in e.message for e in losers)
    assert TicketEvent.objects.filter(ticket=ticket, action="claimed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_on_sqlite_also_have_one_winner(world: World) -> None:
    ticket = world.ticket()
    volunteers = [volunteer(world.lotim, username=f"lite{i}") for i in range(6)]
    barrier = threading.Barrier(len(volunteers))
    wins: list[str] = []

    def claim(user: Any) -> None:
        try:
            barrier.wait(timeout=30)
            services.ticket_claim(ticket=Ticket.objects.get(pk=ticket.pk), actor=user)
            wins.append(user.username)
        except DomainError:
            pass
        finally:
            close_old_connections()

    threads = [threading.Thread(target=claim, args=(u,)) for u in volunteers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(wins) == 1
