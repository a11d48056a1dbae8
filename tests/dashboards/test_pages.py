"""Dashboard pages: who sees what, filters without JavaScript, CSV links, the printable report, the edit form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from helpdesk.dashboards.models import Source, UsesSid, VillageAdoption
from helpdesk.dashboards.params import last_months
from tests.dashboards.conftest import PERIOD, B, Dash


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_planner_lands_on_the_only_province_and_sees_no_people(dash: Dash) -> None:
    client = client_for(dash.planner)
    r = client.get("/dasbor/")
    assert r.status_code == 302 and r["Location"] == "/dasbor/52/"
    page = client.get("/dasbor/52/", PERIOD)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Nusa Tenggara Barat" in html and "Kabupaten Lombok Timur" in html
    main = html.split('<main id="isi"')[1].split("</main>")[0]
    assert "<svg" in main and "<script" not in main
    for secret in ("Budi Relawan", "Tiket rahasia", "tidak boleh terlihat"):
        assert secret not in html
    assert "/antrian/" not in main  # numbers link to tickets only for those who may open them
    assert 'href="/dasbor/"' in html or 'accesskey="d"' in html  # the navigation links the dashboard


def test_coordinator_drills_down_and_sees_volunteers_with_ticket_links(dash: Dash) -> None:
    client = client_for(dash.coord_lotim)
    assert client.get("/dasbor/")["Location"] == "/dasbor/52.03/"
    html = client.get("/dasbor/52.03/", PERIOD).content.decode()
    assert "Budi Relawan" in html
    assert "/antrian/?tampil=semua&amp;region=52.03" in html
    # The tile of a kecamatan drills down, keeping the period.
    assert 'href="/dasbor/52.03.01/?from=2025-11-01&amp;to=2025-11-30"' in html
    kecamatan = client.get("/dasbor/52.03.01/", PERIOD)
    assert kecamatan.status_code == 200
    assert f'href="/dasbor/desa/{B}/adopsi/"' in kecamatan.content.decode()
    assert client.get("/dasbor/52/").status_code == 403
    assert client.get("/dasbor/52.06/").status_code == 403


def test_operator_and_anonymous_get_no_dashboard(dash: Dash) -> None:
    assert client_for(dash.op_a).get("/dasbor/52.03/").status_code == 403
    assert client_for(dash.vol_lotim).get("/dasbor/").status_code == 403
    assert Client().get("/dasbor/52/").status_code == 302  # to the sign-in page
    html = client_for(dash.op_a).get("/").content.decode()
    assert 'accesskey="d"' not in html


def test_unknown_region_is_404_and_bad_filters_are_shown(dash: Dash) -> None:
    client = client_for(dash.admin)
    assert client.get("/dasbor/99.99/").status_code == 404
    r = client.get("/dasbor/52/", {"from": "2025-12-01", "to": "2025-01-01"})
    assert r.status_code == 400
    assert "Tanggal akhir sebelum tanggal awal." in r.content.decode()


def test_filter_form_is_a_get_form_with_csv_links(dash: Dash) -> None:
    html = client_for(dash.admin).get("/dasbor/52.03/", {**PERIOD, "category": "kependudukan"}).content.decode()
    assert re.search(r'<form method="get" class="dash-filters', html)
    assert 'value="2025-11-01"' in html
    assert '<option value="kependudukan" selected>' in html
    assert "/api/v1/stats/?from=2025-11-01&amp;to=2025-11-30&amp;region=52.03&amp;category=kependudukan" \
           "&amp;format=csv&amp;table=months" in html
    assert "/api/v1/stats/adoption/?region=52.03&amp;format=csv" in html


def test_monthly_report_prints(dash: Dash) -> None:
    r = client_for(dash.planner).get("/dasbor/52.03/laporan/", {"bulan": "2025-11"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "Laporan bulanan" in html and "November 2025" in html
    assert "dashboards/dashboards.css" in html
    assert "Budi Relawan" not in html


def test_coordinator_edits_a_village_record(dash: Dash) -> None:
    client = client_for(dash.coord_lotim)
    assert client.get(f"/dasbor/desa/{B}/adopsi/").status_code == 200
    r = client.post(f"/dasbor/desa/{B}/adopsi/", {"uses_sid": "opensid", "opensid_version": "2410.0.0",
                                                  "hosting": "siappakai", "site_url": "https://ketapangraya.desa.id"})
    assert r.status_code == 302
    record = VillageAdoption.objects.get(desa_id=B)
    assert (record.uses_sid, record.opensid_version, record.opensid_release, record.source, record.updated_by) == (
        UsesSid.OPENSID, "v2410.0.0", 2410, Source.COORDINATOR, dash.coord_lotim)
    assert client.post(f"/dasbor/desa/{B}/adopsi/", {"uses_sid": "maybe"}).status_code == 400
    # Outside their region, and planners (read-only), may not edit.
    assert client.get("/dasbor/desa/52.06.01.2001/adopsi/").status_code == 403
    assert client_for(dash.planner).get(f"/dasbor/desa/{B}/adopsi/").status_code == 403


@pytest.mark.parametrize("extra", [0, 15])
def test_page_takes_a_fixed_number_of_queries(dash: Dash, django_assert_max_num_queries: Any, extra: int) -> None:
    from datetime import timedelta

    from tests.dashboards.conftest import START

    for i in range(extra):
        dash.ticket(desa=B, reporter=dash.op_b, forum=dash.lotim, created_at=START + timedelta(hours=i),
                    assignee=dash.coord_lotim)
    client = client_for(dash.coord_lotim)
    with django_assert_max_num_queries(28):
        assert client.get("/dasbor/52.03/", PERIOD).status_code == 200


def test_a_planner_lands_on_the_dashboard_after_signing_in(dash: Dash) -> None:
    dash.planner.set_password("rahasia-kuat-123")
    dash.planner.save()
    r = Client().post("/masuk/", {"username": "perencana", "password": "rahasia-kuat-123"})
    assert r.status_code == 302 and r["Location"] == "/dasbor/"
    explicit = Client().post("/masuk/?next=/profil/", {"username": "perencana", "password": "rahasia-kuat-123",
                                                        "next": "/profil/"})
    assert explicit["Location"] == "/profil/"
    dash.op_a.set_password("rahasia-kuat-123")
    dash.op_a.save()
    assert Client().post("/masuk/", {"username": "op_a", "password": "rahasia-kuat-123"})["Location"] == "/tiket/"  # issue 15: an operator lands on their village's tickets


def test_navigation_links_the_dashboard_for_coordinators(dash: Dash) -> None:
    assert 'href="/dasbor/"' in client_for(dash.coord_lotim).get("/").content.decode()
    assert 'href="/dasbor/"' not in client_for(dash.vol_lotim).get("/").content.decode()


def test_coordinator_of_two_regions_picks_one(dash: Dash) -> None:
    from tests.factories import member

    member(dash.coord_lotim, dash.bima, role="coordinator")
    html = client_for(dash.coord_lotim).get("/dasbor/").content.decode()
    assert 'href="/dasbor/52.03/"' in html and 'href="/dasbor/52.06/"' in html
    assert "Kabupaten Bima" in html


def test_usual_periods_are_links_of_whole_months_that_keep_the_filters(dash: Dash) -> None:
    client = client_for(dash.coord_lotim)
    html = client.get("/dasbor/52.03/", {**PERIOD, "category": "surat-tte"}).content.decode()
    periods = html.split('class="small periods"')[1].split("</p>")[0]
    today = timezone.localdate()
    start, _end = last_months(3, today)
    assert f'href="?from={start.isoformat()}&amp;to={today.isoformat()}&amp;category=surat-tte">3 bulan terakhir</a>' in periods
    assert f'href="?from={today.year - 1}-01-01&amp;to={today.year - 1}-12-31&amp;category=surat-tte">Tahun lalu</a>' in periods
    assert "aria-current" not in periods  # November 2025 is none of them
    chosen = client.get("/dasbor/52.03/", {"from": f"{today.year}-01-01", "to": today.isoformat()}).content.decode()
    assert '<strong aria-current="true">Tahun ini</strong>' in chosen


def test_the_village_record_says_today_whether_it_has_a_verified_operator(dash: Dash) -> None:
    from helpdesk.accounts.models import User

    User.objects.filter(desa_id=B).update(operator_status=User.OperatorStatus.PENDING)
    VillageAdoption.objects.update_or_create(desa_id=B, defaults={"has_verified_operator": False})
    client = client_for(dash.coord_lotim)
    assert "belum ada operator terverifikasi" in client.get(f"/dasbor/desa/{B}/adopsi/").content.decode()
    # A coordinator verifies one; the hourly refresh has not run yet, the page says so already.
    User.objects.filter(desa_id=B).update(operator_status=User.OperatorStatus.VERIFIED, is_active=True)
    assert "punya operator terverifikasi" in client.get(f"/dasbor/desa/{B}/adopsi/").content.decode()
