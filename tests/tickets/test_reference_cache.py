"""The per-process copies of categories, SLA policies and holidays (helpdesk/core/refcache.py): a change is seen by
the next filing in this process and in every other one, and a rolled-back change by none.

"Another process" is this one with its copy put back as it was before the change: it holds the old rows and never
saw the change's signals, only the shared version token that the change replaced.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from helpdesk.categories import selectors as category_selectors
from helpdesk.categories.models import Category
from helpdesk.core import refcache
from helpdesk.tickets import sla
from helpdesk.tickets.models import Holiday, SlaPolicy, Ticket
from tests.tickets.conftest import DESA_A, World, as_user

FAR_DAY = dt.date(2031, 5, 6)  # not a holiday in lokal-id (the admins' days are what is tested here)


def first_response_minutes(ticket: Ticket, minutes: int) -> dt.datetime:
    """When the first response of `ticket` is due with a target of `minutes` (default working hours)."""
    schedule = sla.schedule_for(DESA_A, ticket.desa.timezone, SlaPolicy(), ticket.created_at)
    return sla.add_working_minutes(ticket.created_at, minutes, schedule)


def test_a_changed_policy_is_seen_by_the_next_filing_here_and_in_another_process(world: World) -> None:
    first = world.ticket(priority="darurat")
    assert first.first_response_due == first_response_minutes(first, 60)  # the built-in target
    other_process = sla._reference._held
    assert other_process is not None  # the filing left a copy in this process

    admin = as_user(APIClient(), world.admin)
    changed = admin.put(f"/api/v1/sla/policies/{world.lotim.pk}/", {"targets": {"darurat": [30, 240]}}, format="json")
    assert changed.status_code == 200

    here = world.ticket(priority="darurat")
    assert here.first_response_due == first_response_minutes(here, 30)
    sla._reference._held = other_process
    elsewhere = world.ticket(priority="darurat")
    assert elsewhere.first_response_due == first_response_minutes(elsewhere, 30)


def test_an_added_or_removed_holiday_is_seen_here_and_in_another_process(world: World) -> None:
    def admin_days() -> frozenset[dt.date]:
        return sla.holidays_for(DESA_A, FAR_DAY, FAR_DAY)

    assert admin_days() == frozenset()
    other_process = sla._reference._held
    admin = as_user(APIClient(), world.admin)
    added = admin.post("/api/v1/sla/holidays/", {"date": FAR_DAY.isoformat(), "name": "Libur daerah",
                                                 "region_prefix": "52.03"}, format="json")
    assert added.status_code == 201
    assert admin_days() == {FAR_DAY}
    sla._reference._held = other_process
    assert admin_days() == {FAR_DAY}

    other_process = sla._reference._held
    Holiday.objects.get(date=FAR_DAY).delete()
    assert admin_days() == frozenset()
    sla._reference._held = other_process
    assert admin_days() == frozenset()


def test_a_category_switched_off_or_added_is_seen_by_the_next_filing(world: World) -> None:
    operator = as_user(APIClient(), world.op_a)

    def file(category: str) -> int:
        return operator.post("/api/v1/tickets/", {"title": "Gagal impor data penduduk", "category": category},
                             format="json").status_code

    assert file("kependudukan") == 201
    other_process = category_selectors._active._held
    category = Category.objects.get(slug="kependudukan")
    category.is_active = False
    category.save()
    assert file("kependudukan") == 400
    category_selectors._active._held = other_process
    assert file("kependudukan") == 400

    Category.objects.create(slug="surat", name="Surat", position=99)
    assert file("surat") == 201
    # The copy handed out is the caller's own: a change to it does not reach the next filing.
    copy = category_selectors.active_category_by_slug("surat")
    assert copy is not None
    copy.name = "changed"
    assert category_selectors.active_category_by_slug("surat").name == "Surat"  # type: ignore[union-attr]


def test_a_rolled_back_change_leaves_no_copy_behind(world: World) -> None:
    assert sla.holidays_for(DESA_A, FAR_DAY, FAR_DAY) == frozenset()
    with pytest.raises(RuntimeError), transaction.atomic():
        Holiday.objects.create(date=FAR_DAY, name="Libur daerah", region_prefix="52")
        assert sla.holidays_for(DESA_A, FAR_DAY, FAR_DAY) == {FAR_DAY}  # loaded, and held, inside the transaction
        raise RuntimeError
    assert sla.holidays_for(DESA_A, FAR_DAY, FAR_DAY) == frozenset()


def test_a_lost_token_means_reload(world: World) -> None:
    assert sla.policy_for(None).targets == SlaPolicy().targets
    # A change that sends no signal is only seen once the token is gone (the cache culled or cleared).
    SlaPolicy.objects.create(forum=None, targets={"darurat": [15, 120]})
    assert sla.policy_for(None).targets == {"darurat": [15, 120]}
    SlaPolicy.objects.filter(forum=None).update(targets={"darurat": [20, 120]})
    assert sla.policy_for(None).targets == {"darurat": [15, 120]}
    cache.clear()
    assert sla.policy_for(None).targets == {"darurat": [20, 120]}


def test_a_filing_takes_every_reference_token_in_one_query(world: World) -> None:
    operator = as_user(APIClient(), world.op_a)
    body = {"title": "Gagal impor data penduduk", "category": "kependudukan", "priority": "darurat"}
    assert operator.post("/api/v1/tickets/", body, format="json").status_code == 201  # copies loaded
    with CaptureQueriesContext(connection) as queries:
        assert operator.post("/api/v1/tickets/", body, format="json").status_code == 201
    token_reads = [q["sql"] for q in queries.captured_queries if "helpdesk_cache" in q["sql"]]
    assert len(token_reads) == 1, token_reads  # the categories' and the SLA's tokens together


def test_a_request_that_changes_and_rolls_back_reads_the_tokens_again(world: World) -> None:
    def days() -> frozenset[dt.date]:
        return sla.holidays_for(DESA_A, FAR_DAY, FAR_DAY)

    with refcache.request_scope():
        assert days() == frozenset()  # the tokens are taken here
        with pytest.raises(RuntimeError), transaction.atomic():
            Holiday.objects.create(date=FAR_DAY, name="Libur daerah", region_prefix="52")
            assert days() == {FAR_DAY}
            raise RuntimeError
        assert days() == frozenset()


def test_a_change_made_elsewhere_is_seen_by_the_next_request(world: World) -> None:
    def days() -> frozenset[dt.date]:
        return sla.holidays_for(DESA_A, FAR_DAY, FAR_DAY)

    with refcache.request_scope():
        assert days() == frozenset()
        other_process = sla._reference._held
        Holiday.objects.create(date=FAR_DAY, name="Libur daerah", region_prefix="52")
        sla._reference._held = other_process  # the change happened in another process
    with refcache.request_scope():
        assert days() == {FAR_DAY}
