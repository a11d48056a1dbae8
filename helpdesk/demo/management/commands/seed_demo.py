from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from helpdesk.demo.seed import DEMO_PASSWORD, seed


class Command(BaseCommand):
    help = "Memuat data demo (idempoten): akun tiap peran, forum ForSID, tiket contoh."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--logins", action="store_true", help="hanya cetak daftar login demo")
        parser.add_argument(
            "--allow-demo-in-production",
            action="store_true",
            help="buat akun demo walau DEBUG mati (kata sandinya tercantum di README: hanya untuk server uji)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo accounts (an `admin` among them) share a password published in the README.
        forced = options["allow_demo_in_production"] or os.environ.get("HELPDESK_ALLOW_DEMO") == "1"
        if not settings.DEBUG and not forced:
            raise CommandError(
                "DEBUG mati: data demo tidak dimuat, karena akun demo (termasuk `admin`) memakai kata sandi "
                "yang tercantum di README. Untuk server uji yang tertutup, jalankan dengan "
                "--allow-demo-in-production (atau HELPDESK_ALLOW_DEMO=1)."
            )
        logins = seed()
        if options["logins"]:
            self.stdout.write(f"Login demo (kata sandi semua akun: {DEMO_PASSWORD}):")
            width = max(len(login.username) for login in logins)
            for login in logins:
                self.stdout.write(f"  {login.username.ljust(width)}  {login.role:<12} {login.description}")
        else:
            self.stdout.write(self.style.SUCCESS(f"Data demo siap: {len(logins)} akun demo."))
