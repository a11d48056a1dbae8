"""`manage.py search_reindex [--type kb ...] [--database]`: rebuild the search index from the registered sources.

On an engine (SEARCH_URL=opensearch+.../elasticsearch+...) it builds a new index of the current mapping
version, fills it, swaps the alias atomically and drops the old index; searches keep working throughout.
`--database` also rebuilds the database index that serves as the engine's fallback (normally kept up to date
by every change, so only needed after restoring a database or switching backends).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from tqdm import tqdm

from search import get_backend
from search.backends.base import SearchBackend
from search.backends.engine import EngineBackend
from search.backends.engine_client import EngineError
from search.indexing import database_index, expected_total, registered_sources, reindex


class Command(BaseCommand):
    help = "Bangun ulang indeks pencarian dari semua sumber dokumen (basis pengetahuan, tiket)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--type", action="append", dest="types", default=[],
                            help="hanya jenis dokumen ini (boleh diulang), mis. --type kb")
        parser.add_argument("--no-progress", action="store_true", help="tanpa bilah kemajuan")
        parser.add_argument("--database", action="store_true",
                            help="dengan mesin pencari: bangun ulang juga indeks cadangan di basis data")

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
        targets = [backend]
        if options["database"] and backend.name != "database":
            database = database_index(backend)
            if database is not None:
                targets.append(database)
        elif options["database"]:
            self.stdout.write(_("Indeks basis data adalah indeks utama; --database tidak diperlukan."))
        for target in targets:
            self._rebuild(target, types, options)

    def _rebuild(self, backend: SearchBackend, types: list[str], options: dict[str, Any]) -> None:
        engine = backend.name != "database"
        if engine:
            self.stdout.write(_("Membangun indeks baru di %(backend)s; pencarian tetap memakai indeks lama sampai "
                                "alias dipindahkan.") % {"backend": backend.name})
        bar = tqdm(total=expected_total(types) if types else 0, unit=" dok", disable=options["no_progress"],
                   file=self.stderr)
        last = 0

        def progress(n: int) -> None:
            nonlocal last
            bar.update(n - last)
            last = n

        try:
            counts = reindex(options["types"] or None, progress=progress, backend=backend)
        except EngineError as exc:
            raise CommandError(_("Mesin pencari %(backend)s gagal: %(error)s (indeks lama tetap dipakai)")
                               % {"backend": backend.name, "error": exc}) from exc
        finally:
            bar.close()
        total = sum(counts.values())
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "-"
        self.stdout.write(
            self.style.SUCCESS(ngettext("%(total)d dokumen diindeks (%(detail)s) di %(backend)s.",
                                        "%(total)d dokumen diindeks (%(detail)s) di %(backend)s.", total)
                               % {"total": total, "detail": detail, "backend": backend.name})
        )
        if isinstance(backend, EngineBackend):
            state = backend.index_state(fresh=True)
            self.stdout.write(_("Alias %(alias)s kini menunjuk %(index)s (versi pemetaan %(version)s); indeks lama "
                                "dihapus.") % {"alias": backend.alias, "index": state.index, "version": state.version})
