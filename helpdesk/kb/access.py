"""The one door to knowledge-base entries, and who may write, review and publish them.

* Published entries: anyone, without an account.
* Writing (directly or from a ticket): forum volunteers and admins. From a ticket: whoever may triage it (its
  forum's volunteers, admins), once it is solved.
* Reviewing (approve, reject, publish, archive, edit a published entry): coordinators of the entry's forum or of a
  forum above it, and admins. The entry's forum is the one covering its origin region.
* Auto-publish: a volunteer listed as trusted in their forum's KB settings, when that forum turned it on.
* Drafts are seen by their author and the reviewers only.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from helpdesk.accounts.access import (
    AnyUser,
    forums_of,
    is_admin,
    is_member_of,
    signed_in,
)
from helpdesk.accounts.models import Forum, ForumMembership
from helpdesk.tickets import access as ticket_access
from helpdesk.tickets.models import Status, Ticket

from .models import Entry, EntryStatus, ForumKbSettings


def can_write(user: AnyUser) -> bool:
    return is_admin(user) or bool(forums_of(user))


def _descendants(forum_ids: set[int]) -> set[int]:
    """The forums below these (a coordinator of ForSID NTB reviews Lombok Timur's entries too)."""
    if not forum_ids:
        return set()
    children: dict[int, list[int]] = {}
    for pk, parent in Forum.objects.filter(parent__isnull=False).values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    seen = set(forum_ids)
    stack = list(forum_ids)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def reviewed_forum_ids(user: AnyUser) -> set[int] | None:
    """Forums whose entries `user` reviews; None means every forum (admins). Cached on the user object."""
    if is_admin(user):
        return None
    if not signed_in(user):
        return set()
    cached: set[int] | None = user.__dict__.get("_kb_reviewed_forums")
    if cached is None:
        cached = _descendants(forums_of(user, ForumMembership.Role.COORDINATOR))
        user.__dict__["_kb_reviewed_forums"] = cached
    return set(cached)


def is_reviewer(user: AnyUser) -> bool:
    forums = reviewed_forum_ids(user)
    return forums is None or bool(forums)


def can_review(user: AnyUser, entry: Entry) -> bool:
    return can_review_in(user, entry.forum_id)


def can_review_in(user: AnyUser, forum_id: int | None) -> bool:
    forums = reviewed_forum_ids(user)
    if forums is None:
        return True
    return forum_id is not None and forum_id in forums


def is_trusted(user: AnyUser, forum_id: int | None) -> bool:
    """Trusted in that forum, and the forum publishes its trusted volunteers' entries without review."""
    if forum_id is None or not signed_in(user) or not is_member_of(user, forum_id):
        return False
    return ForumKbSettings.objects.filter(forum_id=forum_id, auto_publish_trusted=True, trusted=user).exists()


def can_publish(user: AnyUser, entry: Entry) -> bool:
    """May publish without a coordinator's approval."""
    return can_publish_in(user, entry.forum_id)


def can_publish_in(user: AnyUser, forum_id: int | None) -> bool:
    return can_review_in(user, forum_id) or is_trusted(user, forum_id)


def is_author(user: AnyUser, entry: Entry) -> bool:
    return signed_in(user) and entry.author_id == user.pk


def can_edit(user: AnyUser, entry: Entry) -> bool:
    if can_review(user, entry):
        return True
    if not (is_author(user, entry) and can_write(user)):
        return False
    if entry.status == EntryStatus.PUBLISHED:
        return is_trusted(user, entry.forum_id)
    return True


def can_see(user: AnyUser, entry: Entry) -> bool:
    return entry.status == EntryStatus.PUBLISHED or can_edit(user, entry) or can_review(user, entry)


def access_entry(user: AnyUser, entry_id: int | str, *, edit: bool = False) -> Entry:
    """The entry if `user` may see it (404 otherwise, so drafts don't reveal they exist); with `edit`, 403 when
    they may see it but not change it."""
    try:
        entry = Entry.objects.select_related("category", "origin_region", "forum", "author", "editor").get(
            pk=int(entry_id)
        )
    except (Entry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not can_see(user, entry):
        raise Http404
    if edit and not can_edit(user, entry):
        raise PermissionDenied
    return entry


def can_publish_from_ticket(user: AnyUser, ticket: Ticket) -> bool:
    """"Terbitkan ke basis pengetahuan": the ticket's forum volunteers (and admins), once it is solved."""
    return ticket.status in (Status.SELESAI, Status.DITUTUP) and ticket_access.can_triage(user, ticket)


def access_source_ticket(user: AnyUser, ticket_id: int | str) -> Ticket:
    ticket = ticket_access.access_ticket(user, ticket_id)
    if not can_publish_from_ticket(user, ticket):
        raise PermissionDenied
    return ticket


def visible_source_ticket(user: AnyUser, entry: Entry) -> Ticket | None:
    """The ticket an entry was written from, when `user` may see it (the entry page links to it)."""
    if entry.source_ticket_id is None:
        return None
    try:
        return ticket_access.access_ticket(user, entry.source_ticket_id)
    except Http404:
        return None
