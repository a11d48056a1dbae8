"""The transaction the live figures are computed in: enough sort memory, and a time limit on the request path.

On PostgreSQL the figures' median and p90 sort every duration of the period (about 900k of them for a province
at 1M tickets); with the server's default `work_mem` (4 MB) those sorts spill to disk and the one query takes
seconds. `SET LOCAL` (here `set_config(..., true)`) raises it for this transaction only, and turns off the JIT
compiler, which spends about 0.4 s compiling the grouped query's expressions for a run of a second or two.
The planner cannot estimate how many months a period holds, so it guesses a group per ticket and, fearing the
hash table would not fit, sorts the province's rows for the month grouping (through the category index): a
second more at 1M tickets. Every grouping here is small in truth (months, categories, forums, volunteers,
villages), so `hash_mem_multiplier` lets it hash them all; the memory used is what the groups need. A request also gets a
`statement_timeout`, so a pathological request (a very broad range on a slow database) answers with a clear
503 instead of holding a worker until the proxy gives up. SQLite has neither knob; there nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import APIException

QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout


class FiguresTooSlow(APIException):
    """The figures took longer than the request may wait (`DASHBOARD_STATEMENT_TIMEOUT_MS`)."""

    status_code = 503
    default_code = "figures_too_slow"
    default_detail = _("Angka dasbor ini terlalu lama dihitung. Persempit rentang tanggal atau wilayah, "
                       "atau coba lagi beberapa saat lagi.")


def _cancelled(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == QUERY_CANCELED


@contextmanager
def figures_transaction(*, timeout_ms: int | None) -> Iterator[None]:
    """One transaction for all the figures' queries; raises `FiguresTooSlow` when a query passes `timeout_ms`."""
    if connection.vendor != "postgresql":
        yield
        return
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Without a limit of our own the session's stays (the refresh job may take longer than a request).
                timeout = "set_config('statement_timeout', %s, true)" if timeout_ms else "%s"
                cursor.execute(f"SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true), "
                               f"set_config('hash_mem_multiplier', '32', true), {timeout}",
                               [settings.DASHBOARD_WORK_MEM, str(timeout_ms or "")])
            yield
    except OperationalError as exc:
        if _cancelled(exc):
            raise FiguresTooSlow from exc
        raise

