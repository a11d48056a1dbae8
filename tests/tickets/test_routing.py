from __future__ import annotations

import datetime as dt

import pytest

from helpdesk.accounts.models import Forum, ForumMembership
from helpdesk.tickets import services
from helpdesk.tickets.models import Status, TicketEvent
from tests.factories import OperatorFactory, region, volunteer
from tests.tickets.conftest import World


def test_desa_goes_to_its_kabupaten_forum(world: World) -> None:
    assert world.ticket().forum == world.lotim
    assert world.ticket(reporter=world.op_bima).forum == world.bima


def test_a_kecamatan_forum_wins_over_the_kabupaten(world: World) -> None:
    from tests.factories import ForumFactory

    sembalun = ForumFactory(name="ForSID Kec. 01", slug="forsid-kec-01", parent=world.lotim, regions=["52.03.01"])
    assert world.ticket().forum == sembalun


def test_no_kabupaten_forum_falls_back_to_the_province(world: World) -> None:
    op = OperatorFactory(username="op_sumbawa", desa_code="52.04.01.2001")
    ticket = world.ticket(reporter=op)
    assert ticket.forum == world.ntb
    assert "diteruskan" not in TicketEvent.objects.get(ticket=ticket, action="routed").note  # covered by 52


def test_no_provincial_forum_falls_back_to_the_national_core(world: World) -> None:
    region("53.01.01.2001", "Desa di NTT")
    op = OperatorFactory(username="op_ntt", desa_code="53.01.01.2001")
    ticket = world.ticket(reporter=op)
    assert ticket.forum == world.core
    assert "diteruskan ke Tim Inti" in TicketEvent.objects.get(ticket=ticket, action="routed").note


@pytest.fixture
def auto_lotim(world: World) -> World:
    Forum.objects.filter(pk=world.lotim.pk).update(mode=Forum.Mode.AUTO)
    world.lotim.refresh_from_db()
    # The coordinator does not take tickets in this setup.
    ForumMembership.objects.filter(user=world.coord_lotim).update(available=False)
    return world


def test_auto_mode_prefers_the_matching_skill(auto_lotim: World) -> None:
    ticket = auto_lotim.ticket(category="kependudukan")
    assert ticket.assignee == auto_lotim.vol_lotim  # the one with the kependudukan skill
    assert ticket.status == Status.DITANGANI
    assert "keahlian cocok" in TicketEvent.objects.get(ticket=ticket, action="assigned").note


def test_auto_mode_takes_the_least_loaded_when_nobody_has_the_skill(auto_lotim: World) -> None:
    first = auto_lotim.ticket(category="surat-tte")
    second = auto_lotim.ticket(category="surat-tte")
    assert {first.assignee, second.assignee} == {auto_lotim.vol_lotim, auto_lotim.vol2_lotim}


def test_auto_mode_respects_the_load_limit(auto_lotim: World) -> None:
    ForumMembership.objects.filter(user=auto_lotim.vol_lotim).update(max_open_tickets=1)
    ForumMembership.objects.filter(user=auto_lotim.vol2_lotim).update(max_open_tickets=1)
    tickets = [auto_lotim.ticket(category="kependudukan") for _ in range(3)]
    assert [t.assignee for t in tickets[:2]].count(None) == 0
    assert tickets[2].assignee is None and tickets[2].status == Status.BARU
    assert "tidak ada relawan" in TicketEvent.objects.get(ticket=tickets[2], action="routed").note


def test_auto_mode_skips_unavailable_and_off_hours_volunteers(auto_lotim: World) -> None:
    ForumMembership.objects.filter(user=auto_lotim.vol_lotim).update(available=False)
    # vol2 works only in a one-minute window that has passed.
    ForumMembership.objects.filter(user=auto_lotim.vol2_lotim).update(work_start=dt.time(0, 0), work_end=dt.time(0, 1))
    extra = volunteer(auto_lotim.lotim, username="vol3_lotim")
    ticket = auto_lotim.ticket()
    assert ticket.assignee == extra


def test_deactivated_membership_releases_open_tickets(world: World) -> None:
    ticket = world.ticket()
    services.ticket_claim(ticket=ticket, actor=world.vol_lotim)
    membership = ForumMembership.objects.get(user=world.vol_lotim, forum=world.lotim)
    assert services.release_tickets_of(membership) == 1
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.status == Status.BARU
