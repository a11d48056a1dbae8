"""Ticket numbers: `NTB-000123`, one counter per province prefix.

On PostgreSQL each prefix has its own SEQUENCE (`tickets_number_ntb`). `nextval()` takes no row lock, so
filings in one province no longer wait for each other's commit; the price is that a filing that rolls back
after taking its number leaves a gap (NTB-000122, NTB-000124). Numbers stay unique and are never given out
twice. The sequences are created by migration 0005 for every province in `regions.codes`, starting after the
old counter row; a prefix without one (an unknown province code, `P99`) gets its sequence on first use.

SQLite has no sequences and one writer at a time anyway: there the counter row (`TicketCounter`) is advanced by
an UPSERT inside the creating transaction, so its numbers have no gaps.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from helpdesk.regions.codes import province_abbreviation

from .models import TicketCounter

# Prefixes whose sequence is known to exist in this process's database (created or checked once, committed).
_ensured: set[str] = set()


def sequence_name(prefix: str) -> str:
    """`tickets_number_ntb`; prefixes are upper-case letters and digits (`regions.codes`)."""
    if not prefix.isascii() or not prefix.isalnum():
        raise ValueError(f"bad ticket number prefix {prefix!r}")
    return f"tickets_number_{prefix.lower()}"


def ensure_sequence(cursor: CursorWrapper, prefix: str) -> None:
    """Create the prefix's sequence if it is missing, starting after what its counter row already gave out."""
    name = sequence_name(prefix)
    table = TicketCounter._meta.db_table
    cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} AS bigint MINVALUE 1")
    # Never below a number already given out (the counter row, from before the sequences).
    cursor.execute(
        f"SELECT setval('{name}', value) FROM {table} "  # noqa: S608 - fixed names
        f"WHERE prefix = %s AND value > (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END "
        f"FROM {name})",
        [prefix],
    )


def _ensure_once(cursor: CursorWrapper, prefix: str) -> None:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [sequence_name(prefix)])
    if cursor.fetchone()[0]:
        _ensured.add(prefix)
        return
    ensure_sequence(cursor, prefix)
    # Created in this transaction: known to exist only once it commits.
    transaction.on_commit(lambda: _ensured.add(prefix))


def next_number(desa_code: str) -> str:
    """The next number of the desa's province, taken inside the caller's transaction."""
    prefix = province_abbreviation(desa_code)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if prefix not in _ensured:
                _ensure_once(cursor, prefix)
            cursor.execute("SELECT nextval(%s)", [sequence_name(prefix)])
        else:
            table = TicketCounter._meta.db_table
            cursor.execute(
                f"INSERT INTO {table} (prefix, value) VALUES (%s, 1) "  # noqa: S608 - fixed table name
                f"ON CONFLICT (prefix) DO UPDATE SET value = {table}.value + 1 RETURNING value",
                [prefix],
            )
        value = cursor.fetchone()[0]
    return f"{prefix}-{value:06d}"
