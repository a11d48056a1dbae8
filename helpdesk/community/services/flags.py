"""Flags raised by the community and their review by moderators (upheld flags hide the post)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.access import forum_for_region
from helpdesk.accounts.models import ForumMembership, User
from helpdesk.core.errors import DomainError
from helpdesk.notifications.services import notify_many
from helpdesk.tickets.models import (
    Message,
    Ticket,
)

from .. import access, reputation
from ..models import (
    PENALISED_REASONS,
    Comment,
    Flag,
    FlagReason,
    ModerationAction,
    ReputationKind,
)
from .common import (
    clean,
    lock_ticket,
    log_action,
    rate,
    target_name,
)
from .moderation import hide_post


def flag_create(
    *, flagger: User, ticket: Ticket, reason: str, message: Message | None = None, comment: Comment | None = None,
    note: str = "",
) -> Flag:
    if reason not in FlagReason.values:
        raise ValidationError({"reason": [_("Pilih alasan: spam, rude, personal_data atau off_topic.")]})
    if not access.can_flag(flagger):
        raise PermissionDenied(_("Hanya anggota terverifikasi yang bisa melaporkan tulisan."))
    if not ticket.is_public:
        raise PermissionDenied(_("Laporan hanya untuk tulisan di forum publik."))
    author_id = comment.author_id if comment else message.author_id if message else ticket.reporter_id
    if author_id == flagger.pk:
        raise ValidationError({"reason": [_("Anda tidak bisa melaporkan tulisan sendiri.")]})
    note = clean("note", note, required=False, max_chars=500)
    rate(flagger, "forum_flag")
    target = target_name(ticket, message, comment)
    forum = forum_for_region(ticket.desa_id) or ticket.forum
    with transaction.atomic():
        first = not Flag.objects.filter(target=target, state=Flag.State.OPEN).exists()
        try:
            with transaction.atomic():
                flag = Flag.objects.create(
                    ticket=ticket, message=message, comment=comment, target=target, forum=forum, flagger=flagger,
                    reason=reason, note=note,
                )
        except IntegrityError:
            raise DomainError(_("Anda sudah melaporkan tulisan ini."), code="already_flagged") from None
        if first:
            notify_many(
                _coordinators(forum.pk),
                event="forum_flag",
                text=_("Laporan baru (%(reason)s) di pertanyaan %(n)s menunggu tinjauan.")
                % {"reason": FlagReason(reason).label, "n": ticket.number},
                url="/forum/moderasi/",
                ticket_id=ticket.pk,
                group_key=f"forum-flags:{forum.pk}",
            )
    return flag


def _coordinators(forum_id: int) -> list[User]:
    return list(
        User.objects.filter(
            memberships__forum_id=forum_id, memberships__is_active=True,
            memberships__role=ForumMembership.Role.COORDINATOR, is_active=True,
        ).distinct()
    )


REVIEW_DECISIONS = ("uphold", "dismiss")


def flag_review(*, reviewer: User, flag: Flag, decision: str, reason: str = "") -> int:
    """Decide every open flag on the same post at once. `uphold` hides the post (and costs its author points
    when a spam or rude flag is among them); `dismiss` leaves it. Returns how many flags were decided."""
    if decision not in REVIEW_DECISIONS:
        raise ValidationError({"decision": [_("Keputusan: uphold (sembunyikan) atau dismiss (tolak laporan).")]})
    if not access.can_review(reviewer, flag):
        raise PermissionDenied(_("Hanya koordinator forum ini yang meninjau laporan."))
    reason = clean("reason", reason, required=False, max_chars=500)
    with transaction.atomic():
        open_flags = list(Flag.objects.select_for_update().filter(target=flag.target, state=Flag.State.OPEN))
        if not open_flags:
            raise DomainError(_("Laporan ini sudah ditinjau."), code="already_reviewed")
        state = Flag.State.UPHELD if decision == "uphold" else Flag.State.DISMISSED
        now = timezone.now()
        Flag.objects.filter(pk__in=[f.pk for f in open_flags]).update(state=state, reviewed_by=reviewer, reviewed_at=now)
        ticket = lock_ticket(flag.ticket)
        reasons = sorted({f.reason for f in open_flags})
        action = ModerationAction.Action.FLAG_UPHELD if decision == "uphold" else ModerationAction.Action.FLAG_DISMISSED
        log_action(ticket, reviewer, action, message=flag.message, comment=flag.comment, reason=reason,
                   target=flag.target, reasons=reasons, flags=len(open_flags))
        if decision == "uphold":
            hide_post(reviewer, ticket, message=flag.message, comment=flag.comment,
                      reason=reason or ", ".join(str(FlagReason(r).label) for r in reasons))
            if set(reasons) & set(PENALISED_REASONS):
                _penalise(ticket, flag)
    return len(open_flags)


def _penalise(ticket: Ticket, flag: Flag) -> None:
    author = flag.comment.author if flag.comment else flag.message.author if flag.message else ticket.reporter
    if author is None:
        return
    reputation.award(
        user=author, kind=ReputationKind.FLAG_PENALTY, key=f"flag:{flag.target}", forum_id=ticket.forum_id,
        region_code=reputation.region_for(author, ticket.desa_id), ticket_id=ticket.pk, message_id=flag.message_id,
    )
