"""Demo data for `make run` (`manage.py seed_demo`): idempotent, in Bahasa Indonesia, written by the project.

Each app adds its part through `seed_*` functions called here in dependency order.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@transaction.atomic
def seed() -> list[DemoLogin]:
    logins: list[DemoLogin] = []
    logins += seed_admin()
    return logins
