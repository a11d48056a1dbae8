"""Deflection: did a suggestion shown while writing a ticket answer the question?

1. Suggestions are shown (under the form while typing, or in the "Sebelum mengirim" step): `record_shown` keeps
   one open row per browser session and entry, and returns its id, which the suggestion's link carries (`?saran=`).
2. The link is opened: `record_opened` marks that row, if it belongs to the same session.
3. A ticket is filed in that session: `record_ticket_filed` closes the session's open rows with the ticket.
An opened row that no ticket closes is a question the knowledge base answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from helpdesk.core.ids import to_id
from helpdesk.tickets.models import Ticket

from .models import DeflectionLog, Entry

PARAM = "saran"


def session_key(request: HttpRequest | Any) -> str:
    """The browser session of a request (a Django or a DRF one), or "" when it has none."""
    session = getattr(request, "session", None)
    return (getattr(session, "session_key", None) or "") if session is not None else ""


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


@transaction.atomic
def record_shown(*, session_key: str, user: Any, entry_ids: Sequence[int], channel: str) -> dict[int, int]:
    """{entry id: log id} for suggestions just shown in this session (a fixed number of queries)."""
    if not session_key or not entry_ids:
        return {}
    ids = list(dict.fromkeys(entry_ids))
    open_rows = DeflectionLog.objects.filter(session_key=session_key, filed_at__isnull=True, entry_id__in=ids)
    existing = dict(open_rows.values_list("entry_id", "pk"))
    if existing:
        DeflectionLog.objects.filter(pk__in=list(existing.values())).update(
            shown_count=F("shown_count") + 1, shown_at=timezone.now()
        )
    missing = [i for i in ids if i not in existing]
    if missing:
        DeflectionLog.objects.bulk_create(
            [DeflectionLog(entry_id=i, session_key=session_key, user=_user(user), channel=channel) for i in missing],
            ignore_conflicts=True,  # two tabs of one session at once: the other request created it
        )
        existing.update(dict(open_rows.filter(entry_id__in=missing).values_list("entry_id", "pk")))
    return existing


def record_opened(*, log_id: str, session_key: str, entry: Entry) -> bool:
    """Mark a suggestion as opened; only from the session it was shown to, and only once."""
    pk = to_id(log_id)
    if pk is None or not session_key:
        return False
    return bool(
        DeflectionLog.objects.filter(pk=pk, session_key=session_key, entry=entry, opened_at__isnull=True)
        .update(opened_at=timezone.now())
    )


def record_ticket_filed(*, session_key: str, ticket: Ticket) -> int:
    if not session_key:
        return 0
    return DeflectionLog.objects.filter(session_key=session_key, filed_at__isnull=True).update(
        ticket=ticket, filed_at=timezone.now()
    )


def link(url: str, log_id: int | None) -> str:
    return f"{url}?{PARAM}={log_id}" if log_id else url
