"""The live figures' transaction (`guard.py`): sort memory for the percentiles, and a time limit that answers a
clear 503 in Bahasa Indonesia instead of a page that hangs."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from helpdesk.dashboards import selectors, snapshots
from helpdesk.dashboards.figures import dashboard_figures
from helpdesk.dashboards.guard import FiguresTooSlow, figures_transaction
from helpdesk.dashboards.params import StatsFilters
from tests.dashboards.conftest import PERIOD, Dash

MESSAGE = "Angka dasbor ini terlalu lama dihitung"


def _slow_summary(monkeypatch: Any) -> None:
    """The first figure's query sleeps past the limit (PostgreSQL), or the limit is reported (elsewhere)."""
    original = selectors.summary_and_sla

    def slow(rows: Any) -> Any:
        if connection.vendor != "postgresql":
            raise FiguresTooSlow
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1)")
        return original(rows)

    monkeypatch.setattr(selectors, "summary_and_sla", slow)


def test_a_query_past_the_limit_answers_503_in_the_api(dash: Dash, monkeypatch: Any, settings: Any) -> None:
    settings.DASHBOARD_STATEMENT_TIMEOUT_MS = 100
    _slow_summary(monkeypatch)
    api = APIClient()
    api.force_authenticate(user=dash.planner)
    r = api.get("/api/v1/stats/", {"region": "52", "priority": "normal", **PERIOD})
    assert r.status_code == 503
    assert r.json()["code"] == "figures_too_slow" and MESSAGE in r.json()["detail"]
    # The connection is usable afterwards: the cancelled statement's transaction was rolled back.
    monkeypatch.undo()
    assert api.get("/api/v1/stats/", {"region": "52", **PERIOD}).status_code == 200


def test_a_query_past_the_limit_answers_503_on_the_page(dash: Dash, monkeypatch: Any, settings: Any) -> None:
    settings.DASHBOARD_STATEMENT_TIMEOUT_MS = 100
    _slow_summary(monkeypatch)
    client = Client()
    client.force_login(dash.planner)
    page = client.get("/dasbor/52/", {"priority": "normal", **PERIOD})
    assert page.status_code == 503
    html = page.content.decode()
    assert MESSAGE in html and 'href="/dasbor/52/"' in html
    assert client.get("/dasbor/52/laporan/", {"bulan": "2025-11"}).status_code == 503


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_transaction_raises_sort_memory_and_sets_the_limit_only_when_asked(dash: Dash, settings: Any) -> None:
    settings.DASHBOARD_WORK_MEM = "48MB"
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        session = cursor.fetchone()[0]
        with figures_transaction(timeout_ms=None):  # the refresh job: the session's limit stays
            cursor.execute("SELECT current_setting('work_mem'), current_setting('statement_timeout')")
            assert cursor.fetchone() == ("48MB", session)
        with figures_transaction(timeout_ms=2500):
            cursor.execute("SELECT current_setting('work_mem'), current_setting('statement_timeout')")
            assert cursor.fetchone() == ("48MB", "2500ms")

def test_the_refresh_path_has_no_request_limit(dash: Dash, monkeypatch: Any, settings: Any) -> None:
    settings.DASHBOARD_STATEMENT_TIMEOUT_MS = 100
    seen: list[int | None] = []
    original = selectors.figures_transaction

    def spy(*, timeout_ms: int | None) -> Any:
        seen.append(timeout_ms)
        return original(timeout_ms=timeout_ms)

    monkeypatch.setattr(selectors, "figures_transaction", spy)
    f = StatsFilters(region="52", start=date(2025, 11, 1), end=date(2025, 11, 30))
    selectors.live_figures(snapshots.FULL_SCOPE, f)
    dashboard_figures(snapshots.FULL_SCOPE, f)
    assert seen == [None, 100]
