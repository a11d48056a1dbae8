"""`manage.py adoption_import FILE.csv [--skip-invalid]`: the province's SID adoption list, by desa code."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from helpdesk.core.imports import list_skipped, read_source, refusal
from helpdesk.dashboards.importer import ImportFailed, run


class Command(BaseCommand):
    help = ("Mengimpor data adopsi SID per desa dari CSV provinsi (kolom: kode_desa, memakai_sid, versi_opensid, "
            "hosting, alamat_situs, dikonfirmasi). Idempoten berdasarkan kode desa.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="berkas .csv (UTF-8), atau - untuk stdin")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="impor baris yang benar dan daftar baris yang dilewati, alih-alih gagal")
        parser.add_argument("--no-progress", action="store_true", help="tanpa bilah kemajuan")

    def handle(self, *args: Any, **options: Any) -> None:
        data = read_source(options["file"])
        bar: Any = None
        last = 0

        def parsed(total: int) -> None:
            nonlocal bar
            bar = tqdm(total=total, unit=" desa", disable=options["no_progress"], file=self.stderr)

        def progress(n: int) -> None:
            nonlocal last
            if bar is not None:
                bar.update(n - last)
            last = n

        try:
            report = run(data, skip_invalid=options["skip_invalid"], progress=progress, on_parsed=parsed)
        except ImportFailed as exc:
            raise refusal(exc.errors) from None
        finally:
            if bar is not None:
                bar.close()
        list_skipped(self.stderr, report.skipped)
        self.stdout.write(self.style.SUCCESS(
            _("Selesai: %(created)d baru, %(updated)d diperbarui, %(unchanged)d tidak berubah, %(skipped)d dilewati.")
            % {"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
               "skipped": len(report.skipped)}
        ))
