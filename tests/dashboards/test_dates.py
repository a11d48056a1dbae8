"""Dates and months at the edges of the calendar: refused with the filters' own 400, never a 500.

The filters take dates from `params.FIRST_DATE` to a year after today (`params.date_bounds`); outside that
the midnight after `to` (or the year after a month) would not fit in a `date` at all near 9999-12-31.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk.dashboards.params import FIRST_DATE, date_bounds
from tests.dashboards.conftest import Dash

OUT_OF_RANGE = [
    ({"to": "9999-12-31"}, "to"),
    ({"from": "9999-12-31"}, "from"),
    ({"from": "9999-12-30", "to": "9999-12-31"}, "from"),
    ({"to": "0001-01-01"}, "to"),
    ({"from": "0001-01-01", "to": "0001-01-02"}, "from"),
    ({"from": "1999-12-31", "to": "2000-01-31"}, "from"),
]


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_bounds_are_a_sane_start_and_a_year_after_today() -> None:
    today = timezone.localdate()
    assert date_bounds(today) == (FIRST_DATE, today + timedelta(days=366))
    assert FIRST_DATE.year == 2000


@pytest.mark.parametrize(("params", "field"), OUT_OF_RANGE)
def test_page_refuses_dates_out_of_range_in_the_filter_form(dash: Dash, params: dict[str, str], field: str) -> None:
    r = client_for(dash.admin).get("/dasbor/52/", params)
    assert r.status_code == 400
    html = r.content.decode()
    first, last = date_bounds()
    assert f"Tanggal harus antara {first.isoformat()} dan {last.isoformat()}." in html
    assert 'class="dash-filters' in html


@pytest.mark.parametrize(("params", "field"), OUT_OF_RANGE)
def test_api_refuses_dates_out_of_range_naming_the_field(dash: Dash, api: APIClient, params: dict[str, str],
                                                          field: str) -> None:
    api.force_authenticate(user=dash.admin)
    for extra in ({}, {"format": "csv", "table": "months"}):
        r = api.get("/api/v1/stats/", {"region": "52", **params, **extra})
        assert r.status_code == 400, r.content
        body = r.json()
        assert body["code"] == "invalid" and body["detail"] and list(body["fields"]) == [field]
        assert body["fields"][field][0].startswith("Tanggal harus antara 2000-01-01 dan ")
    for extra in ({}, {"format": "csv"}):
        r = APIClient().get("/api/v1/open/stats/", {"region": "52", **params, **extra})
        assert r.status_code == 400 and list(r.json()["fields"]) == [field]


def test_dates_at_the_bounds_are_taken(dash: Dash, api: APIClient) -> None:
    first, last = date_bounds()
    api.force_authenticate(user=dash.admin)
    assert api.get("/api/v1/stats/", {"region": "52", "from": first.isoformat(),
                                      "to": (first + timedelta(days=30)).isoformat()}).status_code == 200
    r = api.get("/api/v1/stats/", {"region": "52", "to": last.isoformat()})
    assert r.status_code == 200 and r.json()["to"] == last.isoformat()
    assert client_for(dash.admin).get("/dasbor/52/", {"from": last.isoformat()}).status_code == 200


@pytest.mark.parametrize("bulan", ["9999-12", "9999-01", "1999-12", "0001-01", "2025-13", "2025-00", "10000-01",
                                   "99999999999999999999-01", "2025-11-01", "bulan"])
def test_report_refuses_a_month_it_cannot_show(dash: Dash, bulan: str) -> None:
    r = client_for(dash.planner).get("/dasbor/52.03/laporan/", {"bulan": bulan})
    assert r.status_code == 400
    html = r.content.decode()
    assert "Bulan harus berformat TTTT-BB." in html or "Bulan harus antara 2000-01 dan " in html
    assert "Laporan bulanan" in html  # the default month is shown instead


def test_report_months_at_the_bounds_are_shown(dash: Dash) -> None:
    first, last = date_bounds()
    client = client_for(dash.planner)
    assert client.get("/dasbor/52.03/laporan/", {"bulan": first.strftime("%Y-%m")}).status_code == 200
    assert client.get("/dasbor/52.03/laporan/", {"bulan": last.strftime("%Y-%m")}).status_code == 200
    assert "Bulan harus antara 2000-01 dan " in client.get("/dasbor/52.03/laporan/", {"bulan": "9999-12"}
                                                            ).content.decode()
