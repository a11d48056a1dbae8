"""`manage.py search_reindex [--type kb ...]`: rebuild the search index from the registered sources."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from search import get_backend
from search.indexing import expected_total, registered_sources, reindex


class Command(BaseCommand):
    help = "Bangun ulang indeks pencarian dari semua sumber dokumen (basis pengetahuan, tiket)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--type", action="append", dest="types", default=[],
                            help="hanya jenis dokumen ini (boleh diulang), mis. --type kb")
        parser.add_argument("--no-progress", action="store_true", help="tanpa bilah kemajuan")

    def handle(self, *args: Any, **options: Any) -> None:
        sources = registered_sources()
        types = options["types"] or sorted(sources)
        unknown = [t for t in types if t not in sources]
        if unknown:
            raise CommandError(_("Jenis dokumen tidak dikenal: %(types)s (terdaftar: %(known)s)")
                               % {"types": ", ".join(unknown), "known": ", ".join(sorted(sources)) or "-"})
        if not types:
            self.stdout.write(_("Belum ada sumber dokumen yang terdaftar; indeks dikosongkan."))
        backend = get_backend()
        bar = tqdm(total=expected_total(types) if types else 0, unit=" dok", disable=options["no_progress"],
                   file=self.stderr)
        last = 0

        def progress(n: int) -> None:
            nonlocal last
            bar.update(n - last)
            last = n

        try:
            counts = reindex(options["types"] or None, progress=progress, backend=backend)
        finally:
            bar.close()
        total = sum(counts.values())
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "-"
        self.stdout.write(
            self.style.SUCCESS(_("%(total)d dokumen diindeks (%(detail)s) di %(backend)s.")
                               % {"total": total, "detail": detail, "backend": backend.name})
        )
