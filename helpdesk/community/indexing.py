"""Public questions in search, as documents of type "question": the title, the question, and the visible answers
(accepted first, then by score). A question that is private, hidden, merged or a duplicate loads as None, so
`search.indexing.sync` removes it; `sync_question` is called in the transaction of every change that matters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.db.models.functions import Coalesce

from helpdesk.tickets.models import Message, Status, Ticket, Visibility
from search.indexing import Source, register_source, sync
from search.types import Document

DOC_TYPE = "question"
ANSWERS_PER_DOCUMENT = 10
MAX_BODY_CHARS = 20_000


def _searchable() -> QuerySet[Ticket]:
    return Ticket.objects.filter(visibility=Visibility.PUBLIC, merged=False).exclude(status=Status.DUPLIKAT)


def _answers(ticket_ids: Sequence[int], accepted: dict[int, int | None]) -> dict[int, list[Message]]:
    rows = (
        Message.objects.filter(ticket_id__in=ticket_ids, kind=Message.Kind.REPLY, is_hidden=False)
        .annotate(
            votes=Coalesce("forum_score__score", Value(0)),
            first=Case(When(pk__in=[m for m in accepted.values() if m], then=Value(0)), default=Value(1),
                       output_field=IntegerField()),
        )
        .only("pk", "ticket_id", "body")
        .order_by("ticket_id", "first", "-votes", "created_at", "pk")
    )
    grouped: dict[int, list[Message]] = defaultdict(list)
    for message in rows:
        grouped[message.ticket_id].append(message)
    return grouped


def _document(ticket: Ticket, answers: list[Message]) -> Document:
    parts = [ticket.description] + [m.body for m in answers[:ANSWERS_PER_DOCUMENT]]
    body = "\n\n".join(p for p in parts if p)[:MAX_BODY_CHARS]
    helpful = sum(max(getattr(m, "votes", 0), 0) for m in answers)
    fields = {
        "doc_type": DOC_TYPE, "doc_id": str(ticket.pk), "title": ticket.title, "body": body,
        "url": f"/forum/pertanyaan/{ticket.number}/", "category": ticket.category.slug, "region_code": ticket.desa_id,
        "is_public": True, "accepted": ticket.accepted_message_id is not None, "helpful_votes": helpful,
        "updated_at": ticket.updated_at,
    }
    if ticket.opensid_version:
        try:
            return Document(versions=(ticket.opensid_version,), **fields)  # type: ignore[arg-type]
        except ValueError:  # not a version string the search can filter on: index the question without it
            pass
    return Document(**fields)  # type: ignore[arg-type]


def _documents(tickets: Iterable[Ticket]) -> Iterator[Document]:
    tickets = list(tickets)
    answers = _answers([t.pk for t in tickets], {t.pk: t.accepted_message_id for t in tickets})
    for ticket in tickets:
        yield _document(ticket, answers.get(ticket.pk, []))


def load(ids: Sequence[str]) -> dict[str, Document | None]:
    wanted = [int(i) for i in ids if str(i).isdigit()]
    tickets = list(_searchable().filter(pk__in=wanted).select_related("category"))
    found: dict[str, Document | None] = {str(i): None for i in ids}
    for doc in _documents(tickets):
        found[doc.doc_id] = doc
    return found


def iterate(batch: int = 500) -> Iterator[Document]:
    last = 0
    while True:
        tickets = list(
            _searchable().filter(pk__gt=last).select_related("category").order_by("pk")[:batch]
        )
        if not tickets:
            return
        yield from _documents(tickets)
        last = tickets[-1].pk


def count() -> int:
    return int(_searchable().count())


SOURCE = Source(DOC_TYPE, load, iterate, count)


def register() -> None:
    register_source(SOURCE)


def sync_question(ticket_id: int) -> None:
    """Inside the transaction of a change: the index follows (at once on the database backend, after commit
    through the outbox on an engine)."""
    sync(DOC_TYPE, [ticket_id])
