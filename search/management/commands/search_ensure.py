"""`manage.py search_ensure`: make the search engine's index current, as `migrate` does for the database.

With SEARCH_URL pointing at an engine, an index that is missing or of an older mapping version is built from
everything the database holds (with a progress bar), and the alias is pointed at it. Safe to run from several
processes at once: one builds, the others wait. On the database backend there is nothing to do.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from search.backends.engine_client import EngineError
from search.bootstrap import BUILT, BUSY, CURRENT, DATABASE, WAITED, ensure_index
from search.indexing import expected_total


class Command(BaseCommand):
    help = "Siapkan indeks mesin pencari: buat atau bangun ulang bila belum ada atau versinya lama."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wait", type=float, default=300.0,
                            help="detik menunggu proses lain yang sedang membangun indeks (bawaan 300)")
        parser.add_argument("--no-progress", action="store_true", help="tanpa bilah kemajuan")
        parser.add_argument("--optional", action="store_true",
                            help="mesin pencari yang tidak menjawab hanya diperingatkan, bukan kegagalan")

    def handle(self, *args: Any, **options: Any) -> None:
        bar = tqdm(total=expected_total(), unit=" dok", disable=options["no_progress"], file=self.stderr,
                   delay=0.5)
        last = 0

        def progress(done: int) -> None:
            nonlocal last
            bar.update(done - last)
            last = done

        try:
            outcome = ensure_index(wait_seconds=options["wait"], progress=progress)
        except EngineError as exc:
            message = _("Mesin pencari tidak menjawab: %(error)s. Pencarian memakai basis data sampai mesin "
                        "menjawab; indeks dibangun otomatis setelahnya.") % {"error": exc}
            if options["optional"]:
                self.stderr.write(self.style.WARNING(message))
                return
            raise CommandError(message) from exc
        finally:
            bar.close()
        messages = {
            DATABASE: _("Pencarian memakai basis data; tidak ada indeks mesin yang perlu disiapkan."),
            CURRENT: _("Indeks mesin pencari sudah mutakhir."),
            BUILT: _("Indeks mesin pencari dibangun dari basis data dan siap dipakai."),
            WAITED: _("Indeks mesin pencari dibangun oleh proses lain dan siap dipakai."),
            BUSY: _("Proses lain masih membangun indeks; pencarian memakai basis data sampai selesai."),
        }
        self.stdout.write(self.style.SUCCESS(messages[outcome]) if outcome != BUSY else messages[outcome])
