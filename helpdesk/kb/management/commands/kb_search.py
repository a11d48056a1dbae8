"""`manage.py kb_search "kata kunci" [--json] [--limit N]`: the public search, from the shell."""

from __future__ import annotations

import html
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpdesk.kb import selectors
from search import SearchQueryError
from search.types import MAX_LIMIT


class Command(BaseCommand):
    help = "Cari entri basis pengetahuan yang terbit, seperti halaman /kb/cari/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("query", help="kata kunci, mis. \"gagal impor penduduk\"")
        parser.add_argument("--json", action="store_true", help="keluaran JSON seperti GET /api/v1/kb/search/")
        parser.add_argument("--limit", type=int, default=10, help=f"jumlah hasil, 1 sampai {MAX_LIMIT} (bawaan 10)")
        parser.add_argument("--category", default="", help="slug kategori")
        parser.add_argument("--region", default="", help="awalan kode wilayah, mis. 52.03")
        parser.add_argument("--opensid-version", dest="opensid_version", default="", help="versi OpenSID, mis. v2410")

    def handle(self, *args: Any, **options: Any) -> None:
        text = options["query"].strip()
        if not text:
            raise CommandError(_("Isi kata kunci pencarian."))
        try:
            results = selectors.search_entries(
                text, limit=options["limit"], category=options["category"], region=options["region"],
                version=options["opensid_version"],
            )
        except SearchQueryError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from None
        if options["json"]:
            payload = {
                "results": [
                    {"id": h.entry_id, "external_id": h.external_id or None, "title": h.title, "snippet": h.snippet,
                     "score": h.score, "url": h.url}
                    for h in results.hits
                ],
                "total": results.total,
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        if not results.hits:
            self.stdout.write(_("Tidak ada hasil."))
            return
        for rank, hit in enumerate(results.hits, start=1):
            ext = f" [{hit.external_id}]" if hit.external_id else ""
            self.stdout.write(f"{rank:>2}. {hit.title}{ext}  ({hit.score:.3f})  {hit.url}")
            if hit.snippet:
                self.stdout.write("    " + " ".join(html.unescape(strip_tags(hit.snippet)).split()))
        self.stdout.write(ngettext("%(n)d hasil · %(ms).1f ms", "%(n)d hasil · %(ms).1f ms", results.total)
                          % {"n": results.total, "ms": results.took_ms})
