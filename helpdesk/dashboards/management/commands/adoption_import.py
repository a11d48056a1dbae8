"""`manage.py adoption_import FILE.csv [--skip-invalid]`: the province's SID adoption list, by desa code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from helpdesk.dashboards.importer import ImportFailed, run

MAX_ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = ("Mengimpor data adopsi SID per desa dari CSV provinsi (kolom: kode_desa, memakai_sid, versi_opensid, "
            "hosting, alamat_situs, dikonfirmasi). Idempoten berdasarkan kode desa.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="berkas .csv (UTF-8), atau - untuk stdin")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="impor baris yang benar dan daftar baris yang dilewati, alih-alih gagal")
        parser.add_argument("--no-progress", action="store_true", help="tanpa bilah kemajuan")

    def handle(self, *args: Any, **options: Any) -> None:
        data = self._read(options["file"])
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
            shown = "\n".join(f"  {e}" for e in exc.errors[:MAX_ERRORS_SHOWN])
            more = len(exc.errors) - MAX_ERRORS_SHOWN
            tail = ("\n  " + _("... dan %(n)d baris lain") % {"n": more}) if more > 0 else ""
            raise CommandError(
                _("Impor dibatalkan, tidak ada yang ditulis. %(n)d baris bermasalah:\n%(lines)s%(tail)s\n"
                  "Perbaiki barisnya, atau jalankan dengan --skip-invalid untuk melewatinya.")
                % {"n": len(exc.errors), "lines": shown, "tail": tail}
            ) from None
        finally:
            if bar is not None:
                bar.close()
        if report.skipped:
            self.stderr.write(_("%(n)d baris dilewati:") % {"n": len(report.skipped)})
            for error in report.skipped:
                self.stderr.write(f"  {error}")
        self.stdout.write(self.style.SUCCESS(
            _("Selesai: %(created)d baru, %(updated)d diperbarui, %(unchanged)d tidak berubah, %(skipped)d dilewati.")
            % {"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
               "skipped": len(report.skipped)}
        ))

    def _read(self, name: str) -> bytes:
        if name == "-":
            return sys.stdin.buffer.read()
        path = Path(name)
        if not path.is_file():
            raise CommandError(_("Berkas tidak ditemukan: %(path)s") % {"path": name})
        return path.read_bytes()
