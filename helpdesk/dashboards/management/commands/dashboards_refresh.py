"""`manage.py dashboards_refresh`: recompute every figure snapshot and rebuild the ticket rollup now (the periodic
jobs do a share each minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from helpdesk.dashboards.refresh import refresh_figures
from helpdesk.dashboards.rollup_build import refresh_rollup


class Command(BaseCommand):
    help = ("Menghitung ulang cuplikan angka dasbor (seluruh wilayah, tiap provinsi dan kabupaten, periode bawaan) "
            "dan ringkasan bulanan tiket dari tiket.")

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] > 1
        stored = refresh_figures(progress=(lambda region: self.stdout.write(region)) if verbose else None)
        self.stdout.write(_("%(n)d cuplikan angka dasbor diperbarui.") % {"n": stored})
        months = refresh_rollup(progress=(lambda month: self.stdout.write(month)) if verbose else None)
        self.stdout.write(_("%(n)d bulan ringkasan tiket dibangun ulang.") % {"n": months})
