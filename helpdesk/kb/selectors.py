"""Reads of the knowledge base: search and suggestions (through the `search` seam), the home page lists, the
review queue, a ticket's similar answers, the deflection figures. Each does a fixed number of queries."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.access import AnyUser, forums_of, is_admin
from helpdesk.categories.models import Category
from helpdesk.core import ratelimit
from helpdesk.core.errors import TooLarge
from helpdesk.regions.models import Region
from helpdesk.tickets.models import Message, Status, Ticket
from search import SearchQuery, SearchQueryError, get_backend
from search.backends.base import SUGGEST_LIMIT
from search.types import MAX_LIMIT, MAX_OFFSET

from . import access
from .indexing import DOC_TYPE, plain_text
from .models import DeflectionLog, Entry, EntryStatus
from .validation import VERSION_RE

HOME_CACHE_SECONDS = 300
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    entry_id: int
    external_id: str
    title: str
    title_html: str
    snippet: str
    score: float
    url: str
    category: str
    region_code: str


@dataclass(frozen=True)
class KbResults:
    hits: list[Hit]
    total: int
    total_capped: bool = False
    took_ms: float = 0.0
    # Who answered: "database", "opensearch" or "elasticsearch"; `fallback` when an engine is configured but the
    # database answered (search.types.SearchResults). The API and the search page say so.
    backend: str = "database"
    fallback: bool = False


def backend_family(backend: str) -> str:
    """"database:postgresql" -> "database": the public name of who answered, without the dialect."""
    return backend.split(":", 1)[0] or "database"


def published_ids(ids: list[int], *, counting: ratelimit.Pending | None = None) -> set[int]:
    """The index says what matched; the database confirms each is still published (an engine may lag behind).
    `counting`: the caller's search, counted in the same round trip on PostgreSQL (RateLimited when over).

    Every search asks this, so it is one plain statement by primary key, the status read back and compared here:
    with `status = 'published'` in the query, PostgreSQL could pick the status index when its statistics are
    stale (after a bulk import) and read every published entry to keep ten; and the ORM cost three times the
    statement's own round trip."""
    table, pk = connection.ops.quote_name(Entry._meta.db_table), connection.ops.quote_name(Entry._meta.pk.column)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        if counting is not None and connection.vendor == "postgresql":
            cursor.execute(
                f"WITH counted AS ({ratelimit.COUNT_SQL}) SELECT counted.count, e.{pk}, e.status "  # noqa: S608
                f"FROM counted LEFT JOIN {table} e ON {f'e.{pk} IN ({marks})' if ids else 'FALSE'}",
                [*counting.params, *ids],
            )
            rows = cursor.fetchall()
            counting.settle(rows[0][0] if rows else None)
            return {row[1] for row in rows if row[2] == EntryStatus.PUBLISHED}
        if counting is not None:
            cursor.execute(ratelimit.COUNT_SQL, counting.params)
            row = cursor.fetchone()
            counting.settle(row[0] if row else None)
        if not ids:
            return set()
        cursor.execute(f"SELECT {pk}, status FROM {table} WHERE {pk} IN ({marks})", ids)  # noqa: S608 - fixed names
        return {entry_id for entry_id, status in cursor.fetchall() if status == EntryStatus.PUBLISHED}


def _hits(results: Any, counting: ratelimit.Pending | None = None) -> list[Hit]:
    raw = [h for h in results.hits if h.doc_type == DOC_TYPE and h.doc_id.isdigit()]
    live = published_ids([int(h.doc_id) for h in raw], counting=counting)
    return [
        Hit(int(h.doc_id), h.external_id, h.title, h.title_html, h.snippet, round(float(h.score), 4), h.url,
            h.category, h.region_code)
        for h in raw if int(h.doc_id) in live
    ]


def search_entries(
    text: str, *, category: str = "", region: str = "", version: str = "", limit: int = 10, offset: int = 0,
    counting: ratelimit.Pending | None = None,
) -> KbResults:
    """Published entries matching `text`, best first. Raises search.SearchQueryError for a bad parameter.
    `counting`: the caller's search, counted with the published check (RateLimited when over the limit)."""
    query = SearchQuery(text=text, limit=limit, offset=offset, doc_types=(DOC_TYPE,), category=category,
                        region=region, version=version)
    results = get_backend().search(query)
    hits = _hits(results, counting)
    dropped = len([h for h in results.hits if h.doc_type == DOC_TYPE]) - len(hits)
    return KbResults(hits, max(results.total - dropped, len(hits)), results.total_capped, results.took_ms,
                     backend_family(results.backend), results.fallback)


# The search parameters of the API and the search page. Longer than any real question; above it the request is refused (413) instead of truncated.
MAX_Q_CHARS = 10_000


@dataclass(frozen=True)
class SearchParams:
    q: str
    category: str = ""
    region: str = ""
    version: str = ""
    limit: int = 10
    offset: int = 0


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [_("Harus berupa bilangan bulat.")]}) from None
    if not low <= value <= high:
        raise ValidationError({name: [_("Harus antara %(low)d dan %(high)d.") % {"low": low, "high": high}]})
    return value


def parse_search_params(params: Mapping[str, str], *, default_limit: int = 10) -> SearchParams:
    q = params.get("q") or ""
    if len(q) > MAX_Q_CHARS:
        raise TooLarge(_("Kata kunci terlalu panjang (maks. %(n)d karakter).") % {"n": MAX_Q_CHARS}, code="query_too_long")
    q = q.replace("\x00", " ").strip()
    if not q:
        raise ValidationError({"q": [_("Isi kata kunci pencarian.")]})
    return SearchParams(
        q=q,
        category=(params.get("category") or "").strip().lower(),
        region=(params.get("region") or "").strip(),
        version=(params.get("version") or "").strip(),
        limit=_int(params, "limit", default_limit, 1, MAX_LIMIT),
        offset=_int(params, "offset", 0, 0, MAX_OFFSET),
    )


def run_search(p: SearchParams, *, counting: ratelimit.Pending | None = None) -> KbResults:
    try:
        return search_entries(p.q, category=p.category, region=p.region, version=p.version, limit=p.limit,
                              offset=p.offset, counting=counting)
    except SearchQueryError as exc:
        raise ValidationError({exc.field: [exc.message]}) from None


def suggest_results(text: str, *, limit: int = SUGGEST_LIMIT) -> KbResults:
    """Up to `limit` published answers similar to a ticket being written, with who answered."""
    if not text.strip():
        return KbResults([], 0, backend=backend_family(get_backend().name))
    results = get_backend().suggest(text, limit=limit, doc_types=(DOC_TYPE,))
    hits = _hits(results)
    return KbResults(hits, len(hits), took_ms=results.took_ms, backend=backend_family(results.backend),
                     fallback=results.fallback)


def suggest_entries(text: str, *, limit: int = SUGGEST_LIMIT) -> list[Hit]:
    """Up to `limit` published answers similar to a ticket being written."""
    return suggest_results(text, limit=limit).hits


def suggest_or_nothing(text: str, *, limit: int = SUGGEST_LIMIT) -> list[Hit]:
    """Suggestions where they are a help, not a requirement (filing a ticket, the ticket page): if the search
    fails, nobody should be kept from filing or reading a ticket, so the failure is logged and nothing shown."""
    try:
        return suggest_entries(text, limit=limit)
    except Exception:
        log.exception("knowledge-base suggestions failed; continuing without them")
        return []


def similar_for_ticket(ticket: Ticket, *, limit: int = SUGGEST_LIMIT) -> list[Hit]:
    """Published answers similar to this ticket, for the volunteers handling it."""
    return suggest_or_nothing(f"{ticket.title}\n{ticket.description}", limit=limit)


# --- the home page -----------------------------------------------------------------------------------------


def published() -> QuerySet[Entry]:
    return Entry.objects.filter(status=EntryStatus.PUBLISHED)


def most_helpful(limit: int = 10) -> list[Entry]:
    return list(
        published().select_related("category").order_by("-helpful_score", "-views", "-pk")
        .only("pk", "title", "slug", "category__name", "category__slug", "helpful_yes", "views")[:limit]
    )


def recent(limit: int = 10) -> list[Entry]:
    return list(
        published().select_related("category").order_by("-published_at", "-pk")
        .only("pk", "title", "slug", "category__name", "category__slug", "published_at")[:limit]
    )


def category_counts() -> list[tuple[Category, int]]:
    """Active categories with their number of published entries (cached for a few minutes: a count over a
    million entries is not something every visitor should pay for)."""
    counts = cache.get("kb:category-counts")
    if counts is None:
        counts = dict(published().values_list("category_id").annotate(n=Count("pk")).values_list("category_id", "n"))
        cache.set("kb:category-counts", counts, HOME_CACHE_SECONDS)
    return [(c, counts.get(c.pk, 0)) for c in Category.objects.filter(is_active=True).order_by("position", "name")]


def region_choices() -> list[Region]:
    """Provinces and kabupaten that published entries come from, for the search filter (cached)."""
    codes = cache.get("kb:region-codes")
    if codes is None:
        origins = published().exclude(origin_region__isnull=True).values_list("origin_region_id", flat=True).distinct()
        prefixes: set[str] = set()
        for code in origins[:5000]:
            parts = code.split(".")
            prefixes.add(parts[0])
            if len(parts) > 1:
                prefixes.add(".".join(parts[:2]))
        codes = sorted(prefixes)
        cache.set("kb:region-codes", codes, HOME_CACHE_SECONDS)
    return list(Region.objects.filter(code__in=codes).order_by("code"))


# --- volunteers ----------------------------------------------------------------------------------------------


def _waiting(user: AnyUser) -> QuerySet[Entry]:
    forums = access.reviewed_forum_ids(user)
    qs = Entry.objects.filter(status=EntryStatus.DRAFT, review_requested_at__isnull=False)
    return qs if forums is None else qs.filter(forum_id__in=forums)


def review_queue(user: AnyUser, limit: int = 100) -> list[Entry]:
    """Entries waiting for this reviewer's approval, oldest request first."""
    return list(_waiting(user).select_related("author", "forum", "category", "origin_region")
                .order_by("review_requested_at")[:limit])


def review_count(user: AnyUser) -> int:
    return _waiting(user).count() if access.is_reviewer(user) else 0


def my_entries(user: AnyUser, limit: int = 50) -> list[Entry]:
    if not user.is_authenticated:
        return []
    return list(
        Entry.objects.filter(author=user).exclude(status=EntryStatus.PUBLISHED)
        .select_related("category").order_by("-updated_at")[:limit]
    )


def publish_candidates(user: AnyUser, limit: int = 10) -> list[Ticket]:
    """Solved tickets of the user's forums whose accepted answer is proposed for the knowledge base (the forum
    flags them) and that have no entry yet: the volunteers' to-do list on the KB home."""
    if is_admin(user):
        qs = Ticket.objects.all()
    else:
        forums = forums_of(user)
        if not forums:
            return []
        qs = Ticket.objects.filter(forum_id__in=forums)
    taken = Entry.objects.filter(source_ticket=OuterRef("pk")).exclude(status=EntryStatus.ARCHIVED)
    return list(
        qs.filter(kb_candidate=True, status__in=[Status.SELESAI, Status.DITUTUP]).exclude(Exists(taken))
        .only("pk", "number", "title").order_by("-pk")[:limit]
    )


def entry_for_ticket(ticket: Ticket) -> Entry | None:
    return Entry.objects.filter(source_ticket=ticket).exclude(status=EntryStatus.ARCHIVED).order_by("-pk").first()


@dataclass(frozen=True)
class Prefill:
    title: str
    question: str
    answer: str
    category: str
    versions: str
    origin_region: str
    answer_is_accepted: bool


def prefill_from_ticket(ticket: Ticket) -> Prefill:
    """The ticket's question and its accepted answer (else the last answer a volunteer gave), unmasked; the
    editor masks them before showing."""
    answer: Message | None = None
    if ticket.accepted_message_id:
        answer = Message.objects.filter(pk=ticket.accepted_message_id, kind=Message.Kind.REPLY).first()
    accepted = answer is not None
    if answer is None:
        answer = (
            Message.objects.filter(ticket=ticket, kind=Message.Kind.REPLY, by_volunteer=True, is_hidden=False)
            .order_by("-created_at", "-pk").first()
        )
    version = (ticket.opensid_version or "").strip().lower().removeprefix("v")
    return Prefill(
        title=ticket.title,
        question=ticket.description,
        answer=answer.body if answer is not None else "",
        category=ticket.category.slug,
        versions=version if VERSION_RE.match(version) else "",
        origin_region=ticket.desa_id,
        answer_is_accepted=accepted,
    )


# --- deflection ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeflectionStats:
    days: int
    shown: int
    opened: int
    opened_then_filed: int
    deflected: int


def deflection_stats(days: int = 30) -> DeflectionStats:
    """Suggestion rows of the last `days`: shown, opened, opened and still followed by a ticket, and deflected
    (opened, and no ticket filed in that session since)."""
    since = timezone.now() - timedelta(days=days)
    row = DeflectionLog.objects.filter(shown_at__gte=since).aggregate(
        shown=Count("pk"),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        filed=Count("pk", filter=Q(opened_at__isnull=False, filed_at__isnull=False)),
    )
    opened, filed = row["opened"] or 0, row["filed"] or 0
    return DeflectionStats(days, row["shown"] or 0, opened, filed, opened - filed)


def meta_description(entry: Entry, length: int = 160) -> str:
    text = plain_text(entry.answer_html) or plain_text(entry.question_html) or entry.title
    return text if len(text) <= length else text[: length - 1].rsplit(" ", 1)[0] + "…"
