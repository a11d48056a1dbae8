"""The one door to tickets. Web pages, the API, websockets and Telegram all ask these functions.

Who sees a ticket: anyone when it is public; otherwise the operators of its desa (verified), its reporter,
volunteers of the forum handling it (or a forum it was escalated from), and admins. Internal notes: forum
volunteers and admins only. Planners read aggregates, never tickets.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpdesk.accounts.access import (
    AnyUser,
    forums_of,
    is_admin,
    is_member_of,
    is_verified_operator,
    signed_in,
)
from helpdesk.core.errors import DomainError

from . import extensions
from .models import Message, Status, Ticket, TicketForumHistory, Visibility

# How long after sending its author may still change a reply or an internal note (the web page and Telegram
# alike): long enough to fix a typo or a wrong word, short enough that the other side has rarely acted on it.
MESSAGE_EDIT_WINDOW = timedelta(minutes=10)


def handling_forum_ids(ticket: Ticket) -> set[int]:
    """The forum that has the ticket now, plus those it was escalated from (they keep access).

    The earlier forums are read from the ticket itself, once per instance (see `Ticket.previous_forum_ids`).
    """
    return {ticket.forum_id, *ticket.previous_forum_ids}


def is_forum_volunteer(user: AnyUser, ticket: Ticket) -> bool:
    if not signed_in(user):
        return False
    if is_member_of(user, ticket.forum_id):
        return True
    # Only a member of some forum can be one of the earlier ones: don't read the history for anyone else.
    return bool(forums_of(user)) and any(is_member_of(user, forum_id) for forum_id in ticket.previous_forum_ids)


def is_desa_side(user: AnyUser, ticket: Ticket) -> bool:
    """The reporter, or a verified operator of the same desa."""
    if not signed_in(user):
        return False
    return user.pk == ticket.reporter_id or (is_verified_operator(user) and user.desa_id == ticket.desa_id)


def can_see(user: AnyUser, ticket: Ticket) -> bool:
    if ticket.visibility == Visibility.PUBLIC:
        return True
    return is_admin(user) or is_desa_side(user, ticket) or is_forum_volunteer(user, ticket)


def can_see_internal(user: AnyUser, ticket: Ticket) -> bool:
    return is_admin(user) or is_forum_volunteer(user, ticket)


def is_verified_member(user: AnyUser) -> bool:
    """Anyone who may take part in public questions: a verified operator or a forum member."""
    return is_admin(user) or is_verified_operator(user) or bool(forums_of(user))


def can_reply(user: AnyUser, ticket: Ticket) -> bool:
    """Public replies: the desa side, the forum's volunteers, admins; on public questions any verified member."""
    if not signed_in(user):
        return False
    if is_admin(user) or is_forum_volunteer(user, ticket) or _operator_ok(user, ticket):
        return True
    return ticket.visibility == Visibility.PUBLIC and not ticket.is_locked and is_verified_member(user)


def _operator_ok(user: AnyUser, ticket: Ticket) -> bool:
    # A deactivated or pending reporter may still read their ticket, but only verified operators write.
    return is_verified_operator(user) and user.desa_id == ticket.desa_id


def can_add_internal_note(user: AnyUser, ticket: Ticket) -> bool:
    return can_see_internal(user, ticket)


def can_triage(user: AnyUser, ticket: Ticket) -> bool:
    """Claim, change category/priority/assignee, mark duplicate, close at any time: the forum's volunteers."""
    return is_admin(user) or is_forum_volunteer(user, ticket)


def can_mark_duplicate(user: AnyUser, ticket: Ticket) -> bool:
    """The forum's volunteers; or a signed-in person whom a registered `extensions.duplicate_rules` rule lets
    (the community forum: members with enough reputation, on public questions; see docs/tickets.md)."""
    return can_triage(user, ticket) or (
        signed_in(user) and any(rule(user, ticket) for rule in extensions.duplicate_rules.values())
    )


def check_post(user: AnyUser, ticket: Ticket, text: str) -> None:
    """Before a ticket or a public reply is written: each of `extensions.post_rules` raises (PermissionDenied,
    ValidationError, Throttled) to refuse it (the community forum's limits for new accounts)."""
    for rule in extensions.post_rules.values():
        rule(user, ticket, text)


def can_resolve(user: AnyUser, ticket: Ticket) -> bool:
    return can_triage(user, ticket) or _operator_ok(user, ticket)


def can_close(user: AnyUser, ticket: Ticket) -> bool:
    if can_triage(user, ticket):
        return True
    return _operator_ok(user, ticket) and ticket.status == Status.SELESAI


def can_reopen(user: AnyUser, ticket: Ticket) -> bool:
    return can_triage(user, ticket) or _operator_ok(user, ticket)


def can_rate(user: AnyUser, ticket: Ticket) -> bool:
    return _operator_ok(user, ticket) and ticket.status in (Status.SELESAI, Status.DITUTUP)


ESCALATED_INLINE_MAX = 2000


def visible_ticket_branches(user: AnyUser) -> list[Q] | None:
    """The ways `user` may see tickets, one filter each; None means all tickets (admins).

    Kept apart rather than OR-ed, so that a list can read each branch through its own index in id order
    and merge them (an OR across columns makes the database sort every match).
    """
    if is_admin(user):
        return None
    branches = [Q(visibility=Visibility.PUBLIC)]
    if not signed_in(user):
        return branches
    branches.append(Q(reporter_id=user.pk))
    if is_verified_operator(user):
        branches.append(Q(desa_id=user.desa_id))
    forum_ids = forums_of(user)
    if forum_ids:
        branches.append(Q(forum_id__in=forum_ids))
        # Tickets escalated away from the user's forums. Read the (short) list first: as a subquery, an empty
        # list would make the database walk the whole ticket index looking for matches.
        escalated = TicketForumHistory.objects.filter(forum_id__in=forum_ids).values_list("ticket_id", flat=True)
        ids = list(escalated[: ESCALATED_INLINE_MAX + 1])
        if len(ids) > ESCALATED_INLINE_MAX:
            branches.append(Q(pk__in=escalated))
        elif ids:
            branches.append(Q(pk__in=ids))
    return branches


def visible_tickets_filter(user: AnyUser) -> Q | None:
    """A filter for the tickets `user` may see; None means all of them (admins)."""
    branches = visible_ticket_branches(user)
    if branches is None:
        return None
    visible = branches[0]
    for branch in branches[1:]:
        visible |= branch
    return visible


def access_ticket(user: AnyUser, ticket_id: int | str, *, by_number: bool = False) -> Ticket:
    """The ticket if `user` may see it; otherwise 404, so that private tickets don't reveal they exist."""
    lookup: dict[str, Any] = {"number": str(ticket_id).upper()} if by_number else {"pk": ticket_id}
    try:
        ticket = Ticket.objects.select_related("category", "desa", "forum", "reporter", "assignee").get(**lookup)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not can_see(user, ticket):
        raise Http404
    return ticket


def access_message(user: AnyUser, message_id: int | str) -> tuple[Message, Ticket]:
    """A reply or an internal note with its ticket, if `user` may read it; otherwise 404 (system lines too)."""
    try:
        message = Message.objects.select_related("author").get(pk=message_id)
    except (Message.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    ticket = access_ticket(user, message.ticket_id)
    if message.kind == Message.Kind.SYSTEM or (message.is_internal and not can_see_internal(user, ticket)):
        raise Http404
    return message, ticket


def edit_window_open(message: Message, *, now: datetime | None = None) -> bool:
    return (now or timezone.now()) - message.created_at <= MESSAGE_EDIT_WINDOW


def can_edit_message(user: AnyUser, ticket: Ticket, message: Message, *, now: datetime | None = None) -> bool:
    """Its author, within `MESSAGE_EDIT_WINDOW`, while they may still write that kind of message on the ticket."""
    try:
        check_edit_message(user, ticket, message, now=now)
    except (PermissionDenied, DomainError):
        return False
    return True


def check_edit_message(user: AnyUser, ticket: Ticket, message: Message, *, now: datetime | None = None) -> None:
    """Raise PermissionDenied (not theirs, or they may no longer write here) or DomainError (too late)."""
    if not signed_in(user) or message.author_id != user.pk or message.kind == Message.Kind.SYSTEM:
        raise PermissionDenied(_("Hanya penulisnya yang bisa mengubah pesan ini."))
    if message.is_hidden:
        raise PermissionDenied(_("Pesan yang disembunyikan moderator tidak bisa diubah."))
    allowed = can_add_internal_note(user, ticket) if message.is_internal else can_reply(user, ticket)
    if not allowed:
        raise PermissionDenied(_("Anda tidak bisa lagi menulis di tiket ini."))
    if not edit_window_open(message, now=now):
        minutes = int(MESSAGE_EDIT_WINDOW.total_seconds() // 60)
        raise DomainError(
            ngettext("Pesan hanya bisa diubah dalam %(n)d menit setelah dikirim.",
                     "Pesan hanya bisa diubah dalam %(n)d menit setelah dikirim.", minutes) % {"n": minutes},
            code="edit_window_closed",
        )
