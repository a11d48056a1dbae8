"""A small NTB with hand-countable tickets in November 2025, for checking every dashboard figure by hand.

Lombok Timur (52.03): desa A (verified operator, 5 tickets), B (pending operator), C. Bima (52.06): D (verified
operator, 1 ticket), E. The five tickets of A were answered after 10, 20, 30, 40 and 100 minutes (first-response
target 60 minutes) and three of them solved after 60, 120 and 240 minutes (resolution target 180 minutes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from helpdesk.accounts.models import Forum, User
from helpdesk.categories.models import Category
from helpdesk.categories.services import ensure_default_categories
from helpdesk.dashboards.models import Source, UsesSid, VillageAdoption, release_of
from helpdesk.tickets.models import Message, Rating, Status, Ticket
from tests.factories import ForumFactory, OperatorFactory, UserFactory, region, volunteer

WITA = ZoneInfo("Asia/Makassar")
A, B, C, D, E = "52.03.01.2001", "52.03.01.2002", "52.03.02.2001", "52.06.01.2001", "52.06.01.2002"
PERIOD = {"from": "2025-11-01", "to": "2025-11-30"}
START = datetime(2025, 11, 3, 9, 0, tzinfo=WITA)


@dataclass
class Dash:
    ntb: Forum
    lotim: Forum
    bima: Forum
    op_a: User
    op_b: User
    op_d: User
    vol_lotim: User
    coord_lotim: User
    coord_bima: User
    planner: User
    admin: User
    tickets: list[Ticket] = field(default_factory=list)
    counter: list[int] = field(default_factory=lambda: [0])

    def ticket(self, *, desa: str, reporter: User, forum: Forum, created_at: datetime, category: str = "kependudukan",
               **fields: Any) -> Ticket:
        self.counter[0] += 1
        ticket = Ticket.objects.create(
            number=f"NTB-T{self.counter[0]:04d}", title=f"Tiket rahasia nomor {self.counter[0]}",
            description="Isi tiket yang tidak boleh terlihat oleh perencana.",
            category=Category.objects.get(slug=category), desa_id=desa, reporter=reporter, forum=forum,
            created_at=created_at, updated_at=created_at, **fields,
        )
        self.tickets.append(ticket)
        return ticket


def build_world() -> Dash:
    ensure_default_categories()
    region("52", "Nusa Tenggara Barat")
    region("52.03", "Kabupaten Lombok Timur")
    region("52.06", "Kabupaten Bima")
    region("52.03.01", "Kecamatan Keruak")
    region("52.03.02", "Kecamatan Jerowaru")
    region("52.06.01", "Kecamatan Monta")
    for code, name in ((A, "Tanjung Luar"), (B, "Ketapang Raya"), (C, "Pare Mas"), (D, "Sondosia"), (E, "Tolotangga")):
        region(code, name)
    core = ForumFactory(name="Tim Inti", slug="tim-inti")
    ntb = ForumFactory(name="ForSID NTB", slug="forsid-ntb", parent=core, regions=["52"])
    lotim = ForumFactory(name="ForSID Lombok Timur", slug="forsid-lotim", parent=ntb, regions=["52.03"])
    bima = ForumFactory(name="ForSID Bima", slug="forsid-bima", parent=ntb, regions=["52.06"])
    dash = Dash(
        ntb=ntb, lotim=lotim, bima=bima,
        op_a=OperatorFactory(username="op_a", name="Operator Tanjung Luar", desa_code=A),
        op_b=OperatorFactory(username="op_b", desa_code=B, operator_status=User.OperatorStatus.PENDING),
        op_d=OperatorFactory(username="op_d", desa_code=D),
        vol_lotim=volunteer(lotim, username="vol_lotim", name="Budi Relawan"),
        coord_lotim=volunteer(lotim, role="coordinator", username="coord_lotim", name="Koordinator Lotim"),
        coord_bima=volunteer(bima, role="coordinator", username="coord_bima", name="Koordinator Bima"),
        planner=UserFactory(username="perencana", name="Bappeda NTB", is_planner=True),
        admin=UserFactory(username="boss", is_superuser=True, is_staff=True),
    )
    first = [10, 20, 30, 40, 100]
    solved = [60, 120, 240, None, None]
    scores = [5, 4, 2, None, None]
    for i in range(5):
        created = START + timedelta(days=i)
        resolved = created + timedelta(minutes=solved[i]) if solved[i] else None
        t = dash.ticket(
            desa=A, reporter=dash.op_a, forum=lotim, created_at=created, assignee=dash.vol_lotim,
            category="kependudukan" if i < 3 else "surat-tte", opensid_version="v2410.0.0", hosting="vps",
            status=Status.SELESAI if resolved else Status.DITANGANI,
            first_response_at=created + timedelta(minutes=first[i]),
            first_response_due=created + timedelta(minutes=60), resolution_due=created + timedelta(minutes=180),
            resolved_at=resolved,
        )
        if scores[i]:
            Rating.objects.create(ticket=t, score=scores[i], rated_by=dash.op_a, volunteer=dash.vol_lotim)
    answer = Message.objects.create(ticket=dash.tickets[0], author=dash.vol_lotim, body="Potong namanya.",
                                    by_volunteer=True)
    Ticket.objects.filter(pk=dash.tickets[0].pk).update(accepted_message=answer)
    dash.ticket(desa=D, reporter=dash.op_d, forum=bima, created_at=START + timedelta(days=1), category="surat-tte",
                first_response_due=START + timedelta(days=1, minutes=60),
                resolution_due=START + timedelta(days=1, minutes=180))
    for code, uses, version in ((A, UsesSid.OPENSID, "v2410.0.0"), (C, UsesSid.OTHER, ""),
                                (D, UsesSid.OPENSID, "v2301.0.0"), (E, UsesSid.NONE, "")):
        VillageAdoption.objects.create(desa_id=code, uses_sid=uses, opensid_version=version,
                                       opensid_release=release_of(version), source=Source.IMPORT)
    return dash


@pytest.fixture
def dash(db: Any) -> Dash:
    return build_world()


@pytest.fixture
def api() -> APIClient:
    return APIClient()
