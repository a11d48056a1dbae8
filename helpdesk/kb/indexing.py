"""Knowledge-base entries in search, as public documents of type "kb".

Only published entries load; a draft or an archived entry loads as None, so `search.indexing.sync` removes it.
Their text was masked when it was saved (every write goes through `services`), and the masking findings (the
original values) are never part of a document.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence

from django.db.models import QuerySet
from django.utils.html import strip_tags

from search.indexing import Source, register_source, sync
from search.types import Document

from .models import Entry, EntryStatus
from .validation import VERSION_RE

DOC_TYPE = "kb"
MAX_BODY_CHARS = 20_000


def plain_text(rendered_html: str) -> str:
    """The words of rendered Markdown, for the index and for meta descriptions."""
    return " ".join(html.unescape(strip_tags(rendered_html.replace("<", " <"))).split())


def _searchable() -> QuerySet[Entry]:
    return Entry.objects.filter(status=EntryStatus.PUBLISHED)


def _versions(entry: Entry) -> tuple[str, ...]:
    # Written through validation.clean_versions; anything else (an admin's hand edit) is left out of the filter.
    return tuple(str(v) for v in entry.versions or [] if isinstance(v, str) and VERSION_RE.match(v))


def document(entry: Entry) -> Document:
    tags = " ".join(str(t) for t in entry.tags or [])
    parts = [plain_text(entry.question_html), plain_text(entry.answer_html), tags]
    return Document(
        doc_type=DOC_TYPE,
        doc_id=str(entry.pk),
        title=entry.title,
        body="\n\n".join(p for p in parts if p)[:MAX_BODY_CHARS],
        external_id=entry.external_id or "",
        url=entry.get_absolute_url(),
        category=entry.category.slug if entry.category_id and entry.category else "",
        region_code=entry.origin_region_id or "",
        versions=_versions(entry),
        is_public=True,
        accepted=True,  # a published entry is an answer that solved the problem and passed review
        helpful_votes=max(entry.helpful_score, 0),
        updated_at=entry.updated_at,
    )


def load(ids: Sequence[str]) -> dict[str, Document | None]:
    wanted = [int(i) for i in ids if str(i).isdigit()]
    found: dict[str, Document | None] = {str(i): None for i in ids}
    for entry in _searchable().filter(pk__in=wanted).select_related("category"):
        found[str(entry.pk)] = document(entry)
    return found


def iterate(batch: int = 500) -> Iterator[Document]:
    last = 0
    while True:
        rows = list(_searchable().filter(pk__gt=last).select_related("category").order_by("pk")[:batch])
        if not rows:
            return
        for entry in rows:
            yield document(entry)
        last = rows[-1].pk


def count() -> int:
    return _searchable().count()


SOURCE = Source(DOC_TYPE, load, iterate, count)


def register() -> None:
    register_source(SOURCE)


def sync_entries(ids: Sequence[int]) -> None:
    """Call inside the transaction that changed these entries."""
    sync(DOC_TYPE, list(ids))
