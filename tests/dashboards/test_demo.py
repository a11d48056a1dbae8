"""The demo makes the dashboards meaningful: adoption across NTB's ten kabupaten/kota and months of tickets."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from helpdesk.dashboards.access import Scope
from helpdesk.dashboards.adoption import adoption_by_child
from helpdesk.dashboards.demo import HISTORY_PREFIX
from helpdesk.dashboards.figures import dashboard_figures
from helpdesk.dashboards.params import StatsFilters, default_range
from helpdesk.demo.seed import seed
from helpdesk.tickets.models import Ticket


def test_demo_dashboards(db: Any) -> None:
    seed()
    adoption = adoption_by_child("52")
    assert len(adoption.children) == 10
    percents = [row.percent or 0 for row in adoption.children]
    assert min(percents) < 70 < max(percents)  # some kabupaten past the target, some behind
    assert all(row.verified_operator for row in adoption.children)
    start, end = default_range()
    fig = dashboard_figures(Scope(roots=None, sees_people=True, sees_tickets=True),
                            StatsFilters(region="52", start=start, end=end))
    assert sum(1 for m in fig.months if m["opened"]) >= 6
    assert fig.first_response["median_minutes"] and fig.resolution["breach_rate"] is not None
    assert fig.csat["n"] > 20 and fig.villages["never_asked"] > 500 and fig.villages["keep_asking"]
    tickets = Ticket.objects.filter(number__startswith=HISTORY_PREFIX).count()
    seed()  # idempotent
    assert Ticket.objects.filter(number__startswith=HISTORY_PREFIX).count() == tickets
    client = Client()
    client.force_login(get_user_model().objects.get(username="perencana"))
    assert client.get("/dasbor/52/").status_code == 200
    assert client.get("/dasbor/52.03/").status_code == 200
