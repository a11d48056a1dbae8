"""What every line-by-line import command says the same way: reading the file argument, refusing a file with bad
lines (nothing written), and listing the lines `--skip-invalid` passed over. Used by `kb_import` and
`adoption_import`; each importer keeps its own parsing and its own report."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from django.core.management.base import CommandError, OutputWrapper
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_ERRORS_SHOWN = 50


def read_source(name: str) -> bytes:
    """The file named on the command line, or standard input for `-`."""
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name)
    if not path.is_file():
        raise CommandError(_("Berkas tidak ditemukan: %(path)s") % {"path": name})
    return path.read_bytes()


def refusal(errors: Sequence[object]) -> CommandError:
    """The import was refused whole: the first bad lines, with their numbers, and what to do."""
    shown = "\n".join(f"  {e}" for e in errors[:MAX_ERRORS_SHOWN])
    more = len(errors) - MAX_ERRORS_SHOWN
    tail = ("\n  " + ngettext("... dan %(n)d baris lain", "... dan %(n)d baris lain", more) % {"n": more}) if more > 0 else ""
    return CommandError(
        _("Impor dibatalkan, tidak ada yang ditulis. %(n)d baris bermasalah:\n%(lines)s%(tail)s\n"
          "Perbaiki barisnya, atau jalankan dengan --skip-invalid untuk melewatinya.")
        % {"n": len(errors), "lines": shown, "tail": tail}
    )


def list_skipped(stderr: OutputWrapper, skipped: Sequence[object]) -> None:
    if skipped:
        stderr.write(ngettext("%(n)d baris dilewati:", "%(n)d baris dilewati:", len(skipped)) % {"n": len(skipped)})
        for error in skipped:
            stderr.write(f"  {error}")
