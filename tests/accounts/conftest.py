from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from helpdesk.accounts.models import Forum, User
from helpdesk.categories.defaults import DEFAULT_CATEGORIES
from helpdesk.categories.models import Category
from helpdesk.core.outbox import Dispatcher
from tests.factories import ForumFactory, OperatorFactory, UserFactory, region, volunteer

PASSWORD = "rahasia-kuat-123"  # the factories' password
DESA_A, DESA_A2, DESA_BIMA, DESA_KOTA_BIMA = "52.03.01.2001", "52.03.01.2002", "52.06.01.2001", "52.72.01.1001"
DESA_SUMBAWA, DESA_BALI = "52.04.01.2001", "51.71.01.1001"


@pytest.fixture
def fresh_cache(db: Any) -> Iterator[None]:
    # The database cache outlives transactional tests; counters of one test must not lock out the next.
    cache.clear()
    yield
    cache.clear()


@dataclass
class World:
    core: Forum
    ntb: Forum
    lotim: Forum
    bima: Forum
    admin: User
    planner: User
    outsider: User
    operator: User  # verified, Lombok Timur
    pending: User  # pending, Lombok Timur
    pending_bima: User
    pending_sumbawa: User  # pending, Sumbawa: no forum of its own, so ForSID NTB's
    pending_bali: User  # pending, a desa no forum covers: the national core team's
    vol_lotim: User
    coord_lotim: User
    coord_ntb: User
    vol_bima: User
    coord_bima: User

    def client(self, user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client


def ensure_default_categories() -> None:
    # A transactional test (the browser ones) flushes the tables, data migrations included.
    for position, (slug, name, name_en) in enumerate(DEFAULT_CATEGORIES, start=1):
        Category.objects.get_or_create(slug=slug, defaults={"name": name, "name_en": name_en, "position": position * 10})


@pytest.fixture
def world(db: Any, fresh_cache: None) -> World:
    ensure_default_categories()
    region("52", "Nusa Tenggara Barat")
    region("52.03", "Kabupaten Lombok Timur")
    region("52.03.01", "Keruak")
    region("52.04", "Kabupaten Sumbawa")
    region("52.06", "Kabupaten Bima")
    region("52.72", "Kota Bima")
    region(DESA_A, "Tanjung Luar")
    region(DESA_A2, "Pijot")
    region(DESA_BIMA, "Sondosia")
    region(DESA_KOTA_BIMA, "Paruga")
    region(DESA_SUMBAWA, "Labuhan Sumbawa")
    region(DESA_BALI, "Dauh Puri")
    core = ForumFactory(name="Tim Inti OpenDesa", slug="tim-inti")
    ntb = ForumFactory(name="ForSID NTB", slug="forsid-ntb", parent=core, regions=["52"])
    lotim = ForumFactory(name="ForSID Lombok Timur", slug="forsid-lotim", parent=ntb, regions=["52.03"])
    bima = ForumFactory(name="ForSID Bima", slug="forsid-bima", parent=ntb, regions=["52.06", "52.72"])
    return World(
        core=core,
        ntb=ntb,
        lotim=lotim,
        bima=bima,
        admin=UserFactory(username="admin", is_superuser=True, is_staff=True),
        planner=UserFactory(username="perencana", is_planner=True),
        outsider=UserFactory(username="warga"),
        operator=OperatorFactory(username="op_tanjungluar", desa_code=DESA_A),
        pending=OperatorFactory(username="op_pijot", desa_code=DESA_A2, operator_status=User.OperatorStatus.PENDING),
        pending_bima=OperatorFactory(
            username="op_paruga", desa_code=DESA_KOTA_BIMA, operator_status=User.OperatorStatus.PENDING
        ),
        pending_sumbawa=OperatorFactory(
            username="op_sumbawa", desa_code=DESA_SUMBAWA, operator_status=User.OperatorStatus.PENDING
        ),
        pending_bali=OperatorFactory(
            username="op_bali", desa_code=DESA_BALI, operator_status=User.OperatorStatus.PENDING
        ),
        vol_lotim=volunteer(lotim, categories=["kependudukan"], username="relawan_lotim"),
        coord_lotim=volunteer(lotim, role="coordinator", username="koord_lotim"),
        coord_ntb=volunteer(ntb, role="coordinator", username="koord_ntb"),
        vol_bima=volunteer(bima, username="relawan_bima"),
        coord_bima=volunteer(bima, role="coordinator", username="koord_bima"),
    )


def drain_outbox() -> int:
    return Dispatcher("test").drain()
