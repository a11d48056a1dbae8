from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image
from rest_framework.test import APIClient

from helpdesk.accounts.models import Forum, User
from helpdesk.categories.services import ensure_default_categories
from helpdesk.tickets import services
from helpdesk.tickets.models import Ticket
from tests.factories import ForumFactory, OperatorFactory, UserFactory, region, volunteer


@dataclass
class World:
    core: Forum
    ntb: Forum
    lotim: Forum
    bima: Forum
    op_a: User  # Desa A (Lombok Timur)
    op_a2: User  # another operator of Desa A
    op_b: User  # Desa B (Lombok Timur)
    op_bima: User
    vol_lotim: User
    vol2_lotim: User
    coord_lotim: User
    vol_bima: User
    admin: User

    def ticket(self, reporter: User | None = None, **fields: Any) -> Ticket:
        data = {"title": "Gagal impor data penduduk dari Excel", "description": "Muncul galat saat impor.",
                "category": "kependudukan"}
        data.update(fields)
        return services.ticket_create(reporter=reporter or self.op_a, **data)


DESA_A, DESA_B, DESA_BIMA = "52.03.01.2001", "52.03.01.2002", "52.06.01.2001"


@pytest.fixture
def world(db: Any) -> World:
    return make_world()


def make_world() -> World:
    """The world's rows, for fixtures that commit them outside a test's transaction (tests/security's live fuzzing)."""
    ensure_default_categories()  # transactional tests on PostgreSQL truncate the migration's rows
    region("52", "Nusa Tenggara Barat")
    region("52.03", "Kabupaten Lombok Timur")
    region("52.06", "Kabupaten Bima")
    region(DESA_A, "Tanjung Luar")
    region(DESA_B, "Ketapang Raya")
    region(DESA_BIMA, "Sondosia")
    core = ForumFactory(name="Tim Inti", slug="tim-inti")
    ntb = ForumFactory(name="ForSID NTB", slug="forsid-ntb", parent=core, regions=["52"])
    lotim = ForumFactory(name="ForSID Lombok Timur", slug="forsid-lotim", parent=ntb, regions=["52.03"])
    bima = ForumFactory(name="ForSID Bima", slug="forsid-bima", parent=ntb, regions=["52.06"])
    return World(
        core=core,
        ntb=ntb,
        lotim=lotim,
        bima=bima,
        op_a=OperatorFactory(username="op_a", name="Operator Tanjung Luar", desa_code=DESA_A),
        op_a2=OperatorFactory(username="op_a2", desa_code=DESA_A),
        op_b=OperatorFactory(username="op_b", desa_code=DESA_B),
        op_bima=OperatorFactory(username="op_bima", desa_code=DESA_BIMA),
        vol_lotim=volunteer(lotim, username="vol_lotim", name="Budi Relawan", categories=["kependudukan"]),
        vol2_lotim=volunteer(lotim, username="vol2_lotim", name="Sari Relawan"),
        coord_lotim=volunteer(lotim, role="coordinator", username="coord_lotim"),
        vol_bima=volunteer(bima, username="vol_bima"),
        admin=UserFactory(username="boss", is_superuser=True, is_staff=True),
    )


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def as_user(client: APIClient, user: User) -> APIClient:
    client.force_authenticate(user=user)
    return client


def png_bytes(size: tuple[int, int] = (64, 48), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "KameraRahasia"  # Make
        image.save(out, format="JPEG", exif=data.tobytes())
    else:
        image.save(out, format="PNG")
    return out.getvalue()
