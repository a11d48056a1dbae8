"""Twenty volunteers press "Saya tangani" at the same moment: exactly one wins."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import close_old_connections

from helpdesk.core.errors import DomainError
from helpdesk.tickets import services
from helpdesk.tickets.models import Status, Ticket, TicketEvent
from helpdesk.tickets.services.common import lock_ticket
from tests.concurrency import run_together
from tests.factories import volunteer
from tests.tickets.conftest import World


def claim(ticket: Ticket, user: Any) -> str:
    """One volunteer presses "Saya tangani"; the winner's username."""
    services.ticket_claim(ticket=Ticket.objects.get(pk=ticket.pk), actor=user)
    return str(user.username)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_claims_have_one_winner(world: World) -> None:
    ticket = world.ticket()
    volunteers = [volunteer(world.lotim, username=f"rebut{i}") for i in range(20)]
    outcomes = run_together([(lambda u=u: claim(ticket, u)) for u in volunteers])
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
    outcomes = run_together([(lambda u=u: claim(ticket, u)) for u in volunteers])
    assert len([o for o in outcomes if isinstance(o, str)]) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_ticket_lock_leaves_its_category_forum_and_desa_unlocked(world: World) -> None:
    """Locking a ticket for a change locks the ticket row only. Locking the joined category, forum and desa rows
    too made every reply serialise on them, and deadlocked against concurrent filing, whose foreign-key checks
    take a share lock on the same category row at commit (found by `make cluster-test`)."""
    from django.db import OperationalError, transaction

    from helpdesk.accounts.models import Forum
    from helpdesk.categories.models import Category
    from helpdesk.regions.models import Region

    ticket = world.ticket()
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                lock_ticket(ticket)
                locked.set()
                release.wait(timeout=30)
        finally:
            close_old_connections()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        with transaction.atomic():
            for model, pk in ((Category, ticket.category_id), (Forum, ticket.forum_id), (Region, ticket.desa_id)):
                assert model.objects.select_for_update(nowait=True).filter(pk=pk).exists()
            with pytest.raises(OperationalError):
                Ticket.objects.select_for_update(nowait=True).filter(pk=ticket.pk).exists()
    finally:
        release.set()
        holder.join(timeout=30)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_volunteers_marking_two_tickets_duplicates_of_each_other_at_once_leave_one_canonical(
    world: World,
) -> None:
    from django.core.exceptions import ValidationError

    first, second = world.ticket(title="Peta tidak tampil"), world.ticket(title="Peta desa kosong", reporter=world.op_b)

    def mark(ticket: Ticket, of: Ticket, user: Any) -> int:
        services.ticket_mark_duplicate(ticket=Ticket.objects.get(pk=ticket.pk), actor=user,
                                       of=Ticket.objects.get(pk=of.pk))
        return ticket.pk

    for _round in range(5):  # the race is a matter of timing: several rounds, each from two open tickets
        Ticket.objects.filter(pk__in=[first.pk, second.pk]).update(status=Status.BARU, duplicate_of=None)
        outcomes = run_together([lambda: mark(first, second, world.vol_lotim),
                                 lambda: mark(second, first, world.vol2_lotim)])
        marked = [o for o in outcomes if isinstance(o, int)]
        assert len(marked) == 1 and all(isinstance(o, int | ValidationError) for o in outcomes), outcomes
        canonical = Ticket.objects.get(pk=second.pk if marked == [first.pk] else first.pk)
        assert canonical.duplicate_of_id is None and canonical.status == Status.BARU

