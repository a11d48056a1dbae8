from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from helpdesk.demo.seed import DEMO_PASSWORD, seed


class Command(BaseCommand):
    help = "Memuat data demo (idempoten): akun tiap peran, forum ForSID, tiket contoh."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--logins", action="store_true", help="hanya cetak daftar login demo")

    def handle(self, *args: Any, **options: Any) -> None:
        logins = seed()
        if options["logins"]:
            self.stdout.write(f"Login demo (kata sandi semua akun: {DEMO_PASSWORD}):")
            width = max(len(login.username) for login in logins)
            for login in logins:
                self.stdout.write(f"  {login.username.ljust(width)}  {login.role:<12} {login.description}")
        else:
            self.stdout.write(self.style.SUCCESS(f"Data demo siap: {len(logins)} akun demo."))
