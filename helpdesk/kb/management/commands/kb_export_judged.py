"""`manage.py kb_export_judged [--output var/search-eval/judged.jsonl]`: the queries coordinators judged on
/kb/pencarian/, one JSON object a line, for `make search-eval` (which reads that file when it exists)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from helpdesk.kb import learning

DEFAULT_OUTPUT = Path("search-eval") / "judged.jsonl"  # under VAR_DIR


class Command(BaseCommand):
    help = "Tulis pencarian yang sudah dinilai koordinator (kata kunci dan entri yang benar) sebagai JSONL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default="", help=f"berkas tujuan (bawaan var/{DEFAULT_OUTPUT}); - untuk stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = learning.judged_queries()
        lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        target = options["output"] or str(Path(settings.VAR_DIR) / DEFAULT_OUTPUT)
        if target == "-":
            self.stdout.write(lines, ending="")
            return
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(lines, encoding="utf-8")
        self.stderr.write(f"{len(rows)} pencarian dinilai ditulis ke {path}")
