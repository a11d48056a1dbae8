"""`manage.py kb_import FILE.jsonl [--status published|draft] [--skip-invalid]`: the contract's import."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from helpdesk.core.imports import list_skipped, read_source, refusal
from helpdesk.kb.importer import ImportFailed, Parsed, run
from helpdesk.kb.models import EntryStatus


class Command(BaseCommand):
    help = ("Mengimpor entri basis pengetahuan dari berkas JSON Lines (satu objek per baris: external_id, title, "
            "question, answer, category, tags, region_code, solved_at). Idempoten berdasarkan external_id.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="berkas .jsonl (UTF-8), atau - untuk stdin")
        parser.add_argument("--status", choices=[EntryStatus.PUBLISHED, EntryStatus.DRAFT],
                            default=EntryStatus.PUBLISHED, help="status entri (bawaan: published)")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="impor baris yang benar dan daftar baris yang dilewati, alih-alih gagal")
        parser.add_argument("--no-progress", action="store_true", help="tanpa bilah kemajuan")

    def handle(self, *args: Any, **options: Any) -> None:
        data = read_source(options["file"])
        bar: Any = None
        last = 0

        def parsed(result: Parsed) -> None:
            nonlocal bar
            bar = tqdm(total=len(result.rows), unit=" entri", disable=options["no_progress"], file=self.stderr)
            if result.ignored_keys:
                self.stderr.write(_("Kolom yang tidak dikenal diabaikan: %(keys)s")
                                  % {"keys": ", ".join(sorted(result.ignored_keys))})

        def progress(n: int) -> None:
            nonlocal last
            if bar is not None:
                bar.update(n - last)
            last = n

        try:
            report = run(data, status=options["status"], skip_invalid=options["skip_invalid"], progress=progress,
                         on_parsed=parsed)
        except ImportFailed as exc:
            raise refusal(exc.errors) from None
        finally:
            if bar is not None:
                bar.close()
        list_skipped(self.stderr, report.skipped)
        self.stdout.write(self.style.SUCCESS(
            _("Selesai: %(created)d baru, %(updated)d diperbarui, %(unchanged)d tidak berubah, %(skipped)d dilewati; "
              "%(masked)d data pribadi disamarkan. Status: %(status)s.")
            % {"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
               "skipped": len(report.skipped), "masked": report.masked, "status": options["status"]}
        ))
