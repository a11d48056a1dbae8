"""Recompute every member's reputation total from the ledger (after a restore or a manual fix)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from helpdesk.community.reputation import rebuild


class Command(BaseCommand):
    help = "Hitung ulang total reputasi setiap anggota dari catatan reputasi."

    def handle(self, *args: Any, **options: Any) -> None:
        count = rebuild()
        self.stdout.write(f"{count} pengguna dihitung ulang.")
