"""Demo data for `make run` (`manage.py seed_demo`): idempotent, in Bahasa Indonesia, written by the project.

Each app adds its part through `seed_*` functions called here in dependency order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

DEMO_PASSWORD = "demo-sid-2026"  # noqa: S105 - demo logins only, printed by `make run`


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    description: str


def seed_admin() -> list[DemoLogin]:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username="admin", defaults={"email": "admin@contoh.desa.id", "is_staff": True, "is_superuser": True}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return [DemoLogin("admin", "admin", "Admin OpenDesa: semua konfigurasi, /admin/")]


DEMO_FORUMS = [
    # slug, name, parent slug, region codes
    ("tim-inti-opendesa", "Tim Inti OpenDesa", None, []),
    ("forsid-ntb", "ForSID NTB", "tim-inti-opendesa", ["52"]),
    ("forsid-lombok-timur", "ForSID Lombok Timur", "forsid-ntb", ["52.03"]),
    ("forsid-bima", "ForSID Bima", "forsid-ntb", ["52.06", "52.72"]),  # Kabupaten Bima and Kota Bima
    ("forsid-sumbawa", "ForSID Sumbawa", "forsid-ntb", ["52.04"]),
]


def _demo_user(username: str, name: str, **fields: Any) -> Any:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"name": name, "email": f"{username}@contoh.desa.id", **fields}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def seed_accounts() -> list[DemoLogin]:
    """The NTB forums under the national core team, and a login for each role (operator, volunteer, ...)."""
    from helpdesk.accounts.models import Forum, ForumMembership, ForumRegion
    from helpdesk.categories.models import Category
    from helpdesk.regions.models import Region
    from helpdesk.regions.services import import_regions

    if not Region.objects.filter(code="52.03.01.2002").exists():
        import_regions(["52"])
    forums: dict[str, Forum] = {}
    for slug, name, parent, codes in DEMO_FORUMS:
        forum, _ = Forum.objects.get_or_create(slug=slug, defaults={"name": name, "parent": forums.get(parent or "")})
        forums[slug] = forum
        for code in codes:
            if not ForumRegion.objects.filter(region_id=code).exists():
                ForumRegion.objects.create(forum=forum, region_id=code)

    def join(user: Any, slug: str, role: str, skills: list[str]) -> None:
        membership, created = ForumMembership.objects.get_or_create(
            forum=forums[slug], user=user, defaults={"role": role}
        )
        if created:
            membership.categories.set(Category.objects.filter(slug__in=skills))

    _demo_user("operator.tanjungluar", "Baiq Sri Wahyuni", desa_id="52.03.01.2001", operator_status="verified",
               phone="+6281907654321")
    _demo_user("operator.pijot", "Lalu Muhammad Zaini", desa_id="52.03.01.2002", operator_status="pending")
    join(_demo_user("relawan.lotim", "Hendra Saputra"), "forsid-lombok-timur", "volunteer",
         ["kependudukan", "surat-tte", "database-backup"])
    join(_demo_user("koordinator.lotim", "Lalu Ahmad Fauzi"), "forsid-lombok-timur", "coordinator",
         ["update-migrasi", "instalasi-hosting"])
    join(_demo_user("relawan.bima", "Nurul Hidayati"), "forsid-bima", "volunteer",
         ["instalasi-hosting", "update-migrasi"])
    _demo_user("perencana", "Dinas Kominfotik NTB", is_planner=True)
    return [
        DemoLogin("operator", "operator.tanjungluar", "Operator Desa Tanjung Luar (Lombok Timur), terverifikasi"),
        DemoLogin("operator", "operator.pijot", "Operator Desa Pijot, menunggu verifikasi (belum bisa membuat tiket)"),
        DemoLogin("volunteer", "relawan.lotim", "Relawan ForSID Lombok Timur: kependudukan, surat & TTE, database"),
        DemoLogin("coordinator", "koordinator.lotim", "Koordinator ForSID Lombok Timur: verifikasi operator, undang relawan"),
        DemoLogin("volunteer", "relawan.bima", "Relawan ForSID Bima (Kabupaten dan Kota Bima)"),
        DemoLogin("planner", "perencana", "Perencana (Bappeda/Diskominfo): dasbor saja"),
    ]


@transaction.atomic
def seed() -> list[DemoLogin]:
    logins: list[DemoLogin] = []
    logins += seed_admin()
    logins += seed_accounts()
    from helpdesk.tickets.demo import seed_tickets

    seed_tickets()
    from helpdesk.kb.demo import seed_kb

    seed_kb()
    from helpdesk.dashboards.demo import seed_dashboards

    seed_dashboards()
    return logins
