"""`manage.py dashboards_refresh`: recompute every figure snapshot now (the periodic job does a share each minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from helpdesk.dashboards.refresh import refresh_figures


class Command(BaseCommand):
    help = ("Menghitung ulang cuplikan angka dasbor (seluruh wilayah, tiap provinsi dan kabupaten, periode bawaan) "
            "dari tiket.")

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] > 1
        stored = refresh_figures(progress=(lambda region: self.stdout.write(region)) if verbose else None)
        self.stdout.write(_("%(n)d cuplikan angka dasbor diperbarui.") % {"n": stored})
