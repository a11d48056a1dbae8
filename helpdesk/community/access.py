"""Who may do what in the forum, and the doors to its objects.

Built on the ticket rules (`tickets/access.py`): a question is visible when its ticket is, answering is
`can_reply`. What the forum adds: reputation levels for voting, commenting, closing duplicates and editing
other people's posts (forum volunteers and admins have them all), and moderators: the coordinators of the
forums handling the question (including the forum covering the asker's region, which keeps access after an
escalation) and admins.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from helpdesk.accounts.access import AnyUser, forums_of, is_admin, is_coordinator_of, signed_in
from helpdesk.accounts.models import ForumMembership
from helpdesk.core.errors import DomainError
from helpdesk.tickets import access as ticket_access
from helpdesk.tickets import lifecycle
from helpdesk.tickets.models import Message, Status, Ticket

from . import reputation
from .models import Comment, Flag, PublicProposal

CLOSED_TO_COMMUNITY = (Status.DUPLIKAT,)



def is_member(user: AnyUser) -> bool:
    """A verified member: may answer, flag, and (with the level) vote and comment."""
    return signed_in(user) and ticket_access.is_verified_member(user)


def is_staff_for(user: AnyUser, ticket: Ticket) -> bool:
    """The forum's volunteers and admins: every level privilege on this question."""
    return is_admin(user) or ticket_access.is_forum_volunteer(user, ticket)


def is_moderator(user: AnyUser, ticket: Ticket) -> bool:
    if is_admin(user):
        return True
    # Only a coordinator can moderate: the ticket's forum history is not read for anyone else.
    coordinated = forums_of(user, ForumMembership.Role.COORDINATOR)
    return bool(coordinated) and not coordinated.isdisjoint(ticket_access.handling_forum_ids(ticket))


def moderated_forum_ids(user: AnyUser) -> set[int] | None:
    """Forums whose review queue the user works; None means all (admins)."""
    if is_admin(user):
        return None
    return forums_of(user, "coordinator")


# Volunteers of any forum vote and comment everywhere; closing and editing need this question's forum.
ANY_VOLUNTEER = ("vote", "comment")


def has_privilege(user: AnyUser, ticket: Ticket, privilege: str) -> bool:
    if is_staff_for(user, ticket) or (privilege in ANY_VOLUNTEER and signed_in(user) and forums_of(user)):
        return True
    return is_member(user) and reputation.has_points_for(user, privilege)


def is_asker(user: AnyUser, ticket: Ticket) -> bool:
    return signed_in(user) and user.pk == ticket.reporter_id


def open_to_community(ticket: Ticket) -> bool:
    return ticket.is_public and not ticket.is_locked and ticket.status not in CLOSED_TO_COMMUNITY


# --- checks that explain themselves: each raises PermissionDenied (403) or DomainError (409) ---------------------


def check_vote(user: AnyUser, message: Message, ticket: Ticket) -> None:
    if not is_member(user):
        raise PermissionDenied(_("Hanya anggota terverifikasi yang bisa memberi suara."))
    if message.author_id == user.pk:
        raise PermissionDenied(_("Anda tidak bisa memberi suara pada tulisan sendiri."))
    if message.kind != Message.Kind.REPLY or message.is_hidden or not ticket.is_public:
        raise PermissionDenied(_("Suara hanya untuk jawaban pada pertanyaan publik."))
    if ticket.is_locked:
        raise DomainError(_("Pertanyaan ini dikunci moderator."), code="locked")
    if not has_privilege(user, ticket, "vote"):
        raise PermissionDenied(
            _("Memberi suara terbuka setelah reputasi Anda mencapai %(n)d poin.") % {"n": reputation.PRIVILEGES["vote"]}
        )


def check_comment(user: AnyUser, ticket: Ticket, message: Message | None) -> None:
    if not is_member(user):
        raise PermissionDenied(_("Hanya anggota terverifikasi yang bisa berkomentar."))
    if not ticket.is_public:
        raise PermissionDenied(_("Komentar hanya untuk pertanyaan publik."))
    if not open_to_community(ticket):
        raise DomainError(_("Pertanyaan ini sudah ditutup untuk komentar."), code="locked")
    own = is_asker(user, ticket) or ticket_access.is_desa_side(user, ticket) or (
        message is not None and message.author_id == user.pk
    )
    if not own and not has_privilege(user, ticket, "comment"):
        raise PermissionDenied(
            _("Berkomentar di tulisan orang lain terbuka setelah reputasi Anda mencapai %(n)d poin.")
            % {"n": reputation.PRIVILEGES["comment"]}
        )


def can_comment(user: AnyUser, ticket: Ticket, message: Message | None = None) -> bool:
    try:
        check_comment(user, ticket, message)
    except (PermissionDenied, DomainError):
        return False
    return True


def can_vote_on(user: AnyUser, ticket: Ticket) -> bool:
    """Whether to show vote buttons at all (the per-answer rules are checked when voting)."""
    return is_member(user) and ticket.is_public and not ticket.is_locked and has_privilege(user, ticket, "vote")


def can_accept(user: AnyUser, ticket: Ticket) -> bool:
    if not ticket.is_public or not lifecycle.allowed("accept", ticket.status):
        return False
    return (is_asker(user, ticket) and ticket_access.can_resolve(user, ticket)) or ticket_access.can_triage(user, ticket)


def can_close_duplicate(user: AnyUser, ticket: Ticket) -> bool:
    if not lifecycle.allowed("duplicate", ticket.status):
        return False
    return ticket_access.can_triage(user, ticket) or (ticket.is_public and has_privilege(user, ticket, "close_duplicate"))


def duplicate_rule(user: AnyUser, ticket: Ticket) -> bool:
    """In tickets.extensions.duplicate_rules (hooks.py): members with enough reputation close public duplicates."""
    return ticket.is_public and is_member(user) and reputation.has_points_for(user, "close_duplicate")


def can_edit(user: AnyUser, ticket: Ticket, *, author_id: int | None, hidden: bool = False) -> bool:
    if not signed_in(user):
        return False
    if is_moderator(user, ticket):
        return True
    if not ticket.is_public or hidden or ticket.is_locked:
        return False
    return author_id == user.pk or has_privilege(user, ticket, "edit_others")


def can_flag(user: AnyUser) -> bool:
    return is_member(user)


def can_propose_public(user: AnyUser, ticket: Ticket) -> bool:
    return not ticket.is_public and not ticket.merged and ticket_access.can_triage(user, ticket)


def can_see_history(user: AnyUser, ticket: Ticket, *, author_id: int | None) -> bool:
    """Earlier versions may hold what a moderator removed (personal data): moderators and the author only."""
    return is_moderator(user, ticket) or (signed_in(user) and author_id == user.pk)


def can_review(user: AnyUser, flag: Flag) -> bool:
    return is_admin(user) or is_coordinator_of(user, flag.forum_id) or is_moderator(user, flag.ticket)


# --- doors ----------------------------------------------------------------------------------------------------------


def access_question(user: AnyUser, key: int | str, *, by_number: bool = False) -> Ticket:
    """A ticket the user may see (404 otherwise, as for tickets). Callers decide what a private one means."""
    return ticket_access.access_ticket(user, key, by_number=by_number)


def access_answer(user: AnyUser, message_id: int) -> tuple[Message, Ticket]:
    """A public reply of a ticket the user may see; hidden ones only for those who may read hidden posts."""
    message = Message.objects.filter(pk=message_id).only("pk", "ticket_id", "kind", "is_hidden").first()
    if message is None or message.kind != Message.Kind.REPLY:
        raise Http404
    ticket = ticket_access.access_ticket(user, message.ticket_id)
    if message.is_hidden and not ticket_access.can_see_internal(user, ticket):
        raise Http404
    full = Message.objects.select_related("author").get(pk=message.pk)
    return full, ticket


def access_comment(user: AnyUser, comment_id: int) -> tuple[Comment, Ticket]:
    comment = Comment.objects.select_related("author", "message").filter(pk=comment_id).first()
    if comment is None:
        raise Http404
    ticket = ticket_access.access_ticket(user, comment.ticket_id)
    if comment.is_hidden and not ticket_access.can_see_internal(user, ticket):
        raise Http404
    return comment, ticket


def access_flag(user: AnyUser, flag_id: int) -> Flag:
    flag = Flag.objects.select_related("ticket", "message", "comment").filter(pk=flag_id).first()
    if flag is None:
        raise Http404
    if not can_review(user, flag):
        raise PermissionDenied(_("Hanya koordinator forum ini yang meninjau laporan."))
    return flag


def access_proposal(user: AnyUser, proposal_id: int) -> PublicProposal:
    proposal = PublicProposal.objects.select_related("ticket", "proposed_by").filter(pk=proposal_id).first()
    if proposal is None:
        raise Http404
    access_question(user, proposal.ticket_id)  # 404 for those who may not see the ticket
    return proposal
