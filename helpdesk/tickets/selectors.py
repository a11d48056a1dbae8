"""Reads of tickets. Every list is a fixed number of queries, whatever its length, with keyset pagination."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from helpdesk.accounts.access import AnyUser, is_verified_operator
from helpdesk.core.ids import query_id, to_id

from . import access
from .models import OPEN_STATUSES, Attachment, Message, Status, Ticket

DEFAULT_PAGE = 25
MAX_PAGE = 100
NUMBER_RE = re.compile(r"^[A-Za-z]{2,8}-\d{1,9}$")


@dataclass
class TicketFilters:
    status: list[str] = field(default_factory=list)
    forum: int | None = None
    region: str = ""
    category: str = ""
    assignee: str = ""  # "me", "none", or a user id
    q: str = ""
    visibility: str = ""
    # "desa": the user's desa and their own reports; "forums": the forums the user volunteers in.
    scope: str = ""


class BadCursor(ValueError):
    pass


def encode_cursor(ticket_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{ticket_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    # to_id: "id:²" passes isdigit() and breaks int(), and a number beyond 64 bits breaks the query.
    return to_id(raw[3:]) if raw.startswith("id:") else None


def visible_tickets(user: AnyUser) -> QuerySet[Ticket]:
    qs = Ticket.objects.all()
    condition = access.visible_tickets_filter(user)
    return qs if condition is None else qs.filter(condition)


def _apply(qs: QuerySet[Ticket], user: AnyUser, f: TicketFilters) -> QuerySet[Ticket]:
    if f.scope == "desa":
        desa_id = getattr(user, "desa_id", None)
        qs = qs.filter(Q(reporter_id=getattr(user, "pk", None)) | Q(desa_id=desa_id)) if desa_id else qs.filter(
            reporter_id=getattr(user, "pk", None)
        )
    elif f.scope == "forums":
        qs = qs.filter(forum_id__in=access.forums_of(user))
    if f.status:
        qs = qs.filter(status__in=[s for s in f.status if s in Status.values] or ["-"])
    if f.forum:
        qs = qs.filter(forum_id=f.forum)
    if f.region:
        qs = qs.filter(Q(desa_id=f.region) | Q(desa__code__startswith=f"{f.region}."))
    if f.category:
        qs = qs.filter(category__slug=f.category)
    if f.visibility:
        qs = qs.filter(visibility=f.visibility)
    if f.assignee == "me":
        qs = qs.filter(assignee_id=getattr(user, "pk", None))
    elif f.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif f.assignee.isdigit():
        qs = qs.filter(assignee_id=query_id({"assignee": f.assignee}, "assignee") or 0)
    q = f.q.strip()[:200]
    if q:
        qs = qs.filter(number=q.upper()) if NUMBER_RE.match(q) else qs.filter(title__icontains=q)
    return qs


def ticket_list(
    *, user: AnyUser, filters: TicketFilters | None = None, cursor: str = "", limit: int = DEFAULT_PAGE
) -> tuple[list[Ticket], str | None]:
    """One page, newest first, and the cursor of the next page (None at the end).

    Each way the user may see tickets (public, own, desa, forums, escalated) is read on its own, in id order
    through its own index, `limit + 1` rows at most; the pages are merged. A fixed number of queries (one per
    branch, at most five), and no sort over all matching rows however many there are.
    """
    limit = max(1, min(int(limit), MAX_PAGE))
    after = None
    if cursor:
        after = decode_cursor(cursor)
        if after is None:
            raise BadCursor(cursor)
    base = _apply(Ticket.objects.all(), user, filters or TicketFilters())
    if after is not None:
        base = base.filter(pk__lt=after)
    branches = access.visible_ticket_branches(user)
    querysets = [base] if branches is None else [base.filter(branch) for branch in branches]
    found: dict[int, Ticket] = {}
    for qs in querysets:
        for ticket in qs.select_related("category", "desa", "forum", "assignee", "reporter").order_by("-pk")[: limit + 1]:
            found.setdefault(ticket.pk, ticket)
    rows = sorted(found.values(), key=lambda t: t.pk, reverse=True)
    next_cursor = encode_cursor(rows[limit - 1].pk) if len(rows) > limit else None
    return rows[:limit], next_cursor


def own_open_tickets(user: AnyUser, *, limit: int, assigned: bool = False) -> list[Ticket]:
    """Open tickets on the user's side of the desk, the most recently updated first (the Telegram menus).

    A verified operator's are their desa's; anyone else's are those they reported, and with `assigned` those
    assigned to them too. Only tickets the user may see, by the same filter as every list.
    """
    qs = visible_tickets(user).filter(status__in=OPEN_STATUSES)
    if is_verified_operator(user):
        qs = qs.filter(desa_id=user.desa_id)
    else:
        mine = Q(reporter_id=user.pk)
        if assigned:
            mine |= Q(assignee_id=user.pk)
        qs = qs.filter(mine)
    return list(qs.order_by("-updated_at", "-id")[:limit])


def unclaimed_tickets(forum_id: int, *, limit: int) -> list[Ticket]:
    """A forum's queue: its open tickets nobody has taken yet, the oldest first."""
    qs = Ticket.objects.filter(forum_id=forum_id, assignee__isnull=True, status__in=OPEN_STATUSES)
    return list(qs.order_by("created_at", "id")[:limit])


def latest_public_reply(ticket_id: int) -> Message | None:
    """The newest reply everyone on the ticket may read (not an internal note, not hidden)."""
    return (Message.objects.filter(ticket_id=ticket_id, kind=Message.Kind.REPLY, is_hidden=False)
            .select_related("author").order_by("-created_at", "-id").first())


def ticket_messages(user: AnyUser, ticket: Ticket) -> list[Message]:
    """The thread as this user may see it: internal notes and replies hidden by a moderator only for the forum's
    volunteers."""
    qs = ticket.messages.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
    )
    if not access.can_see_internal(user, ticket):
        qs = qs.exclude(kind=Message.Kind.INTERNAL).exclude(is_hidden=True)
    return list(qs.order_by("created_at", "pk"))


def ticket_attachments(user: AnyUser, ticket: Ticket) -> list[Attachment]:
    qs = ticket.attachments.select_related("message")
    if not access.can_see_internal(user, ticket):
        qs = qs.exclude(message__kind=Message.Kind.INTERNAL).exclude(message__is_hidden=True)
    return list(qs.order_by("pk"))


def access_attachment(user: AnyUser, attachment_id: int) -> Attachment:
    """The attachment if the user may see its ticket (and its message, for internal notes); else 404."""
    attachment = Attachment.objects.select_related("message", "ticket").filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    ticket = access.access_ticket(user, attachment.ticket_id)
    hidden = attachment.message is not None and (
        attachment.message.kind == Message.Kind.INTERNAL or attachment.message.is_hidden
    )
    if hidden and not access.can_see_internal(user, ticket):
        raise Http404
    return attachment


def csat_for_forum(forum_id: int) -> dict[str, Any]:
    """Satisfaction of a forum and of each volunteer in it: average, count and the 1-5 distribution."""
    from django.db.models import Avg, Count

    from .models import Rating

    rows = Rating.objects.filter(ticket__forum_id=forum_id)
    overall = rows.aggregate(avg=Avg("score"), count=Count("pk"))
    distribution = dict(rows.values_list("score").annotate(n=Count("pk")).values_list("score", "n"))
    per_volunteer = list(
        rows.exclude(volunteer__isnull=True)
        .values("volunteer_id", "volunteer__username", "volunteer__name")
        .annotate(avg=Avg("score"), count=Count("pk"))
        .order_by("-avg", "-count")
    )
    comments = list(
        rows.exclude(comment="").select_related("ticket", "volunteer").order_by("-at")[:10]
    )
    return {
        "average": round(overall["avg"], 2) if overall["avg"] is not None else None,
        "count": overall["count"],
        "distribution": {score: distribution.get(score, 0) for score in range(1, 6)},
        "volunteers": [
            {"id": v["volunteer_id"], "username": v["volunteer__username"], "name": v["volunteer__name"] or v["volunteer__username"],
             "average": round(v["avg"], 2), "count": v["count"]}
            for v in per_volunteer
        ],
        "recent_comments": comments,
    }
