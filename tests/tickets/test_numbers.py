"""Ticket numbers (tickets/numbers.py): per province, never given out twice. On PostgreSQL a sequence per prefix,
taken without a lock, so one filing does not wait for another's commit (issue 18); a rolled-back filing leaves a
gap there. SQLite keeps its counter row."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from helpdesk.tickets.models import TicketCounter
from helpdesk.tickets.numbers import next_number
from tests.tickets.conftest import World


@pytest.mark.django_db
def test_a_province_without_a_sequence_continues_after_its_counter() -> None:
    TicketCounter.objects.create(prefix="P99", value=41)
    assert next_number("99.01.01.2001") == "P99-000042"
    assert next_number("99.01.01.2002") == "P99-000043"


@pytest.mark.django_db
def test_numbers_are_per_province(world: World) -> None:
    first, second = world.ticket(), world.ticket(world.op_bima)
    assert first.number.startswith("NTB-") and second.number.startswith("NTB-")
    assert next_number("51.01.01.2001").startswith("BALI-")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_filing_does_not_wait_for_another_filings_commit(world: World) -> None:
    holding, taken = threading.Event(), threading.Event()
    numbers: list[str] = []

    def slow_filing() -> None:
        try:
            with transaction.atomic():
                numbers.append(next_number("52.03.01.2001"))
                holding.set()
                taken.wait(timeout=30)  # still open while the other one takes its number
        finally:
            close_old_connections()

    thread = threading.Thread(target=slow_filing)
    thread.start()
    assert holding.wait(timeout=30)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")  # a wait for the other transaction fails here
        numbers.append(next_number("52.03.01.2002"))  # with the counter row, this waited for the commit
    taken.set()
    thread.join(timeout=30)
    assert len(set(numbers)) == 2
    assert int(numbers[1].split("-")[1]) == int(numbers[0].split("-")[1]) + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_filing_leaves_a_gap_on_postgresql(world: World) -> None:
    first = next_number("52.03.01.2001")
    with pytest.raises(RuntimeError), transaction.atomic():
        next_number("52.03.01.2001")
        raise RuntimeError("rolled back")
    third = next_number("52.03.01.2001")
    assert int(third.split("-")[1]) == int(first.split("-")[1]) + 2
