"""The search log: what people searched for in the knowledge base, without personal data, and what they did next.

1. A search is answered (web page, API, Telegram): `record_search` writes one `SearchLog` row with the query
   masked (`helpdesk.core.pii.mask`), its group key (the analysed terms, `group_key`), the results count, who
   answered and whether it was the fallback, the channel, the user only when signed in, and a hash of the
   browser session (never the session key itself). Only the first page of a search is logged.
2. A result is opened: the result's link carries `?cari=<log id>` and `record_opened` marks that row, if it
   belongs to the same session (or to no session, within an hour).
3. A ticket is filed in that session: `record_ticket_filed` marks the session's searches of the last day.

Rows older than `KB_SEARCH_LOG_RETENTION_DAYS` (default 180) are purged by a daily periodic job.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from helpdesk.core import pii
from helpdesk.core.ids import to_id
from helpdesk.core.scheduler import periodic
from search.analysis import analyze

from .models import Entry, SearchLog

PARAM = "cari"
KEY_CHARS = 300
AFTER_SEARCH = timedelta(days=1)  # a ticket filed this long after a search still counts as "filed after it"
UNBOUND_OPEN = timedelta(hours=1)  # a search without a session may be marked opened this long after it


def group_key(text: str) -> str:
    """Queries with the same analysed terms (stems, stopwords dropped), in any order, share a key."""
    terms = sorted({group[0] for group in analyze(text[:1000]).groups})
    key = " ".join(terms)
    return key[:KEY_CHARS].rsplit(" ", 1)[0] if len(key) > KEY_CHARS else key


def session_hash(request: Any) -> str:
    session = getattr(request, "session", None) if request is not None else None
    key = (getattr(session, "session_key", None) or "") if session is not None else ""
    return salted_hmac("helpdesk.kb.searchlog", key).hexdigest()[:40] if key else ""


def record_search(*, text: str, results: int, backend: str, fallback: bool, channel: str,
                  request: Any = None) -> SearchLog:
    masked, _kinds = pii.mask(text.strip()[:1000])
    user = getattr(request, "user", None) if request is not None else None
    return SearchLog.objects.create(
        query=masked[:KEY_CHARS], group_key=group_key(text), results=results, backend=backend[:16],
        fallback=fallback, channel=channel,
        user=user if user is not None and user.is_authenticated else None,
        session_hash=session_hash(request),
    )


def record_opened(*, log_id: str, request: Any, entry: Entry) -> bool:
    """Mark a logged search as opened (its first opened result); only from the session that searched."""
    pk = to_id(log_id)
    if pk is None:
        return False
    own = session_hash(request)
    rows = SearchLog.objects.filter(pk=pk, opened_at__isnull=True)
    rows = rows.filter(session_hash__in=[own, ""]) if own else rows.filter(session_hash="")
    rows = rows.exclude(session_hash="", created_at__lt=timezone.now() - UNBOUND_OPEN)
    return bool(rows.update(opened_entry=entry, opened_at=timezone.now()))


def record_ticket_filed(*, request: Any) -> int:
    own = session_hash(request)
    if not own:
        return 0
    now = timezone.now()
    return SearchLog.objects.filter(session_hash=own, ticket_filed_at__isnull=True,
                                    created_at__gte=now - AFTER_SEARCH).update(ticket_filed_at=now)


def link(url: str, log_id: int | None) -> str:
    return f"{url}?{PARAM}={log_id}" if log_id else url


def retention_days() -> int:
    return int(getattr(settings, "KB_SEARCH_LOG_RETENTION_DAYS", 180))


def purge_expired() -> int:
    deleted, _ = SearchLog.objects.filter(created_at__lt=timezone.now() - timedelta(days=retention_days())).delete()
    return deleted


@periodic("kb.search_log_purge", every=timedelta(days=1))
def purge_job() -> None:
    purge_expired()
