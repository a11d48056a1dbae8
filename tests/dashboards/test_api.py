"""The statistics API through the front door: scope, bad input, CSV, open data."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.dashboards.conftest import PERIOD, Dash


def get(api: APIClient, user: Any, path: str, **params: str) -> Any:
    api.force_authenticate(user=user)
    return api.get(path, params)


@pytest.mark.parametrize("who", ["planner", "admin", "coord_lotim"])
def test_roles_with_a_dashboard_get_figures(dash: Dash, api: APIClient, who: str) -> None:
    r = get(api, getattr(dash, who), "/api/v1/stats/", region="52.03", **PERIOD)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["from"] == "2025-11-01" and body["to"] == "2025-11-30" and body["region"] == "52.03"
    assert body["summary"] == {"opened": 5, "solved": 3, "open": 2}
    assert body["first_response"]["median_minutes"] == 30.0
    assert body["resolution"]["breach_rate"] == 60.0


def test_planner_never_sees_ticket_text_or_volunteer_names(dash: Dash, api: APIClient) -> None:
    r = get(api, dash.planner, "/api/v1/stats/", region="52", **PERIOD)
    assert r.status_code == 200
    text = r.content.decode()
    assert r.json()["volunteers"] is None
    for secret in ("Budi Relawan", "vol_lotim", "Tiket rahasia", "tidak boleh terlihat", "Operator Tanjung Luar"):
        assert secret not in text
    assert "ForSID Lombok Timur" in text  # forums, not people
    csv_r = get(api, dash.planner, "/api/v1/stats/", region="52", format="csv", table="volunteers", **PERIOD)
    assert csv_r.status_code == 400 and csv_r.json()["fields"]["table"]


def test_coordinator_sees_volunteers_of_their_region(dash: Dash, api: APIClient) -> None:
    body = get(api, dash.coord_lotim, "/api/v1/stats/", **PERIOD).json()
    assert body["region"] == "52.03"  # their forum's region when none is asked
    assert [v["name"] for v in body["volunteers"]] == ["Budi Relawan"]


@pytest.mark.parametrize("region", ["52", "52.06", "52.06.01.2001"])
def test_coordinator_outside_their_regions_is_403(dash: Dash, api: APIClient, region: str) -> None:
    r = get(api, dash.coord_lotim, "/api/v1/stats/", region=region, **PERIOD)
    assert r.status_code == 403
    assert r.json()["code"] == "permission_denied"
    assert get(api, dash.coord_lotim, "/api/v1/stats/adoption/", region=region).status_code == 403


def test_operators_and_volunteers_get_no_dashboard(dash: Dash, api: APIClient) -> None:
    for user in (dash.op_a, dash.vol_lotim):
        assert get(api, user, "/api/v1/stats/", region="52.03").status_code == 403
        assert get(api, user, "/api/v1/stats/adoption/", region="52.03").status_code == 403
    assert APIClient().get("/api/v1/stats/").status_code == 401


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2025-12-01", "to": "2025-11-01"}, "to"),
    ({"from": "1-11-2025"}, "from"),
    ({"to": "2025-13-01"}, "to"),
    ({"from": "2019-01-01", "to": "2025-01-02"}, "from"),
    ({"region": "99.99"}, "region"),
    ({"region": "bukan kode"}, "region"),
    ({"category": "tidak-ada"}, "category"),
    ({"priority": "sangat"}, "priority"),
    ({"forum": "x"}, "forum"),
    # Beyond a 64-bit id, or digits int() refuses: each was a 500 (OverflowError, ValueError) before.
    ({"forum": "9223372036854775808"}, "forum"),
    ({"forum": "1" * 5000}, "forum"),
    ({"forum": "\u00b2"}, "forum"),
])
def test_bad_input_is_a_400_naming_the_field(dash: Dash, api: APIClient, params: dict[str, str], field: str) -> None:
    r = get(api, dash.admin, "/api/v1/stats/", **params)
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["code"] == "invalid" and field in body["fields"] and body["detail"]
    open_r = APIClient().get("/api/v1/open/stats/", {k: v for k, v in params.items() if k in ("from", "to", "region")})
    if field in ("from", "to", "region"):
        assert open_r.status_code == 400 and field in open_r.json()["fields"]


def test_csv_tables(dash: Dash, api: APIClient) -> None:
    r = get(api, dash.coord_lotim, "/api/v1/stats/", region="52.03", format="csv", table="months", **PERIOD)
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows == [["month", "opened", "solved", "open_end"], ["2025-11", "5", "3", "2"]]
    summary = dict(csv.reader(io.StringIO(get(api, dash.admin, "/api/v1/stats/", region="52.03", format="csv",
                                               **PERIOD).content.decode())))
    assert summary["first_response_p90_minutes"] == "76.0"
    volunteers = get(api, dash.admin, "/api/v1/stats/", region="52.03", format="csv", table="volunteers", **PERIOD)
    assert "Budi Relawan" in volunteers.content.decode()
    adoption = get(api, dash.planner, "/api/v1/stats/adoption/", region="52", format="csv")
    assert adoption.content.decode().splitlines()[1].startswith("52.03,Kabupaten Lombok Timur,3,2,1,1,66.7,70")


def test_adoption_api(dash: Dash, api: APIClient) -> None:
    body = get(api, dash.planner, "/api/v1/stats/adoption/", region="52").json()
    assert body["target"] == 70 and body["region"] == "52"
    assert body["total"]["percent"] == 60.0
    assert [(r["code"], r["villages"], r["using_sid"], r["verified_operator"], r["percent"])
            for r in body["results"]] == [("52.03", 3, 2, 1, 66.7), ("52.06", 2, 1, 1, 50.0)]
    mine = get(api, dash.coord_bima, "/api/v1/stats/adoption/").json()
    assert mine["region"] == "52.06" and [r["code"] for r in mine["results"]] == ["52.06.01"]


def test_open_stats_for_anyone_with_suppression_and_license(dash: Dash) -> None:
    client = APIClient()
    r = client.get("/api/v1/open/stats/", {"region": "52", "by": "region", **PERIOD})
    assert r.status_code == 200
    body = r.json()
    assert body["license"] == "CC BY 4.0" and body["min_cell"] == 5 and body["by"] == "region"
    cells = {c["key"]: c for c in body["results"]}
    # Bima has 1 ticket (hidden); Lombok Timur's 5 would give it away from the total of 6, so it is hidden too.
    assert cells["52.06"] == {"key": "52.06", "label": "Kabupaten Bima", "tickets": None, "solved": None,
                              "suppressed": True}
    assert cells["52.03"]["suppressed"] is True
    assert body["total"] == {"tickets": 6, "solved": 3, "suppressed": False}
    by_month = client.get("/api/v1/open/stats/", {"region": "52.03", "by": "month", **PERIOD}).json()
    assert by_month["results"] == [{"key": "2025-11", "label": "2025-11", "tickets": 5, "solved": 3,
                                    "suppressed": False}]
    by_cat = client.get("/api/v1/open/stats/", {"region": "52", "by": "category", **PERIOD}).json()
    cats = {c["key"]: c for c in by_cat["results"]}
    assert cats["surat-tte"]["tickets"] is None and cats["kependudukan"]["tickets"] is None  # 3 and 3
    text = r.content.decode() + str(by_month) + str(by_cat)
    for secret in ("Tiket rahasia", "Budi", "Tanjung Luar"):
        assert secret not in text
    assert client.get("/api/v1/open/stats/", {"by": "desa"}).status_code == 400
    csv_r = client.get("/api/v1/open/stats/", {"region": "52.03", "by": "month", "format": "csv", **PERIOD})
    assert csv_r.content.decode().splitlines()[1] == "2025-11,2025-11,5,3,False,CC BY 4.0"


def test_open_data_license_is_configurable(dash: Dash, settings: Any) -> None:
    settings.OPEN_DATA_LICENSE = "CC0 1.0"
    assert APIClient().get("/api/v1/open/stats/", PERIOD).json()["license"] == "CC0 1.0"


def test_schema_documents_the_statistics(dash: Dash) -> None:
    schema = APIClient().get("/api/v1/schema/", {"format": "json"}).json()
    for path in ("/api/v1/stats/", "/api/v1/stats/adoption/", "/api/v1/open/stats/"):
        assert path in schema["paths"]
    open_stats = schema["components"]["schemas"]["OpenStats"]["properties"]
    assert {"license", "results", "from", "to", "by", "total"} <= set(open_stats)


def test_api_takes_a_fixed_number_of_queries(dash: Dash, api: APIClient, django_assert_max_num_queries: Any) -> None:
    api.force_authenticate(user=dash.coord_lotim)
    with django_assert_max_num_queries(22):
        assert api.get("/api/v1/stats/", {"region": "52.03", **PERIOD}).status_code == 200
    with django_assert_max_num_queries(6):
        assert api.get("/api/v1/stats/adoption/", {"region": "52"}).status_code == 403
    with django_assert_max_num_queries(8):
        assert APIClient().get("/api/v1/open/stats/", {"region": "52", **PERIOD}).status_code == 200


def test_coordinator_of_two_regions(dash: Dash, api: APIClient) -> None:
    from tests.factories import member

    member(dash.coord_lotim, dash.bima, role="coordinator")
    body = get(api, dash.coord_lotim, "/api/v1/stats/", **PERIOD).json()
    assert body["region"] is None and body["summary"]["opened"] == 6  # both regions together
    assert get(api, dash.coord_lotim, "/api/v1/stats/", region="52.06", **PERIOD).status_code == 200
    assert get(api, dash.coord_lotim, "/api/v1/stats/", region="52", **PERIOD).status_code == 403
    r = get(api, dash.coord_lotim, "/api/v1/stats/adoption/")
    assert r.status_code == 400 and "region" in r.json()["fields"]
