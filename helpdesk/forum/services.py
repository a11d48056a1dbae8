"""Every write of the forum. Each service checks `forum/access.py` itself, runs in one transaction, and leaves
its side effects (notifications, search sync, reputation) in that transaction.

Ticket state changes go through the ticket services (`ticket_resolve`, `ticket_mark_duplicate`,
`ticket_update`, `ticket_create`), so the lifecycle, the audit trail and the events seam stay the same whether
a question is solved on the forum, on the ticket page or in Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import Throttled

from helpdesk.accounts.access import forum_for_region
from helpdesk.accounts.models import ForumMembership, User
from helpdesk.core.api import DomainError
from helpdesk.core.markdown import render_markdown
from helpdesk.core.pii import mask
from helpdesk.core.ratelimit import hit
from helpdesk.notifications.services import notify, notify_many
from helpdesk.tickets import access as ticket_access
from helpdesk.tickets import events
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.models import (
    Channel,
    Hosting,
    Message,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    Visibility,
)

from . import access, indexing, limits, reputation
from .models import (
    PENALISED_REASONS,
    Comment,
    Flag,
    FlagReason,
    ModerationAction,
    PostScore,
    PublicProposal,
    ReputationKind,
    Revision,
    Vote,
)

MAX_COMMENT_CHARS = 1000
MAX_REASON_CHARS = 300


def rate(user: User, scope: str) -> None:
    limit, window = settings.RATE_LIMITS[scope]
    if not hit(scope, user.pk, limit=limit, window_seconds=window):
        raise Throttled(detail=_("Terlalu banyak permintaan. Coba lagi nanti."), wait=window)


def _clean(field: str, text: str, *, required: bool = True, max_chars: int = 65536) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationError({field: [_("Wajib diisi.")]})
    if len(text) > max_chars:
        raise ValidationError({field: [_("Terlalu panjang (maks. %(n)d karakter).") % {"n": max_chars}]})
    return text


def _log(ticket: Ticket, actor: User | None, action: str, *, message: Message | None = None,
         comment: Comment | None = None, reason: str = "", **detail: Any) -> ModerationAction:
    return ModerationAction.objects.create(
        ticket=ticket, message=message, comment=comment, actor=actor, action=action, reason=reason[:500],
        detail=detail,
    )


def _ticket_event(ticket: Ticket, actor: User | None, action: str, *, old: str = "", new: str = "",
                  note: str = "") -> None:
    TicketEvent.objects.create(
        ticket=ticket, actor=actor, action=action, old=old[:200], new=new[:200], note=note, channel=Channel.WEB
    )


def _locked_ticket(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).select_related("category", "desa", "forum", "reporter").get(pk=ticket.pk)


# --- asking ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    ticket: Ticket
    masked: list[str]  # the kinds of personal data that were masked (NIK, PHONE, ...)


def question_ask(
    *, reporter: User, title: str, description: str = "", category: str, opensid_version: str = "",
    hosting: str = Hosting.LAINNYA, channel: str = Channel.WEB,
) -> Asked:
    """A public question is a public ticket; `ticket_create` masks personal data before anyone sees it."""
    ticket = ticket_services.ticket_create(
        reporter=reporter, title=title, description=description, category=category, priority=Priority.NORMAL,
        opensid_version=opensid_version, hosting=hosting, visibility=Visibility.PUBLIC, channel=channel,
    )
    return Asked(ticket, list(getattr(ticket, "masked_kinds", [])))


# --- votes ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    message_id: int
    score: int
    upvotes: int
    downvotes: int
    mine: int  # the caller's vote now: 1, -1 or 0


def _recount(message: Message) -> PostScore:
    counts = Vote.objects.filter(message=message).aggregate(
        up=Count("pk", filter=Q(value=Vote.Value.UP)), down=Count("pk", filter=Q(value=Vote.Value.DOWN))
    )
    up, down = counts["up"], counts["down"]
    score, _created = PostScore.objects.update_or_create(
        message=message, defaults={"score": up - down, "upvotes": up, "downvotes": down}
    )
    return score


def _upvote_key(message: Message, voter: User) -> str:
    return f"upvote:{message.pk}:{voter.pk}"


def _credit_upvote(message: Message, ticket: Ticket, voter: User, up: bool) -> None:
    if message.author is None:
        return
    if up:
        reputation.award(
            user=message.author, kind=ReputationKind.UPVOTE, key=_upvote_key(message, voter),
            forum_id=ticket.forum_id, region_code=reputation.region_for(message.author, ticket.desa_id),
            ticket_id=ticket.pk, message_id=message.pk,
        )
    else:
        reputation.retract(_upvote_key(message, voter))


def vote_cast(*, voter: User, message: Message, value: int, reason: str = "") -> Score:
    """One vote per person per answer, which they may change. Votes on one answer are serialised by a row lock
    on the answer, and the counts are recomputed from the votes, so they are exact under any concurrency."""
    if value not in (Vote.Value.UP, Vote.Value.DOWN):
        raise ValidationError({"value": [_("Nilai suara harus 1 atau -1.")]})
    reason = (reason or "").strip()
    if value == Vote.Value.DOWN and not reason:
        raise ValidationError({"reason": [_("Tuliskan alasan suara turun, supaya penulis bisa memperbaiki jawabannya.")]})
    reason = _clean("reason", reason, required=False, max_chars=MAX_REASON_CHARS)
    rate(voter, "forum_vote")
    with transaction.atomic():
        locked = Message.objects.select_for_update(of=("self",)).select_related("author").get(pk=message.pk)
        ticket = Ticket.objects.select_related("forum").get(pk=locked.ticket_id)
        access.check_vote(voter, locked, ticket)
        existing = Vote.objects.filter(message=locked, voter=voter).first()
        if existing is not None and existing.value == value:
            raise DomainError(_("Anda sudah memberi suara ini."), code="already_voted")
        now = timezone.now()
        if existing is None:
            Vote.objects.create(message=locked, voter=voter, value=value, reason=reason, created_at=now, updated_at=now)
        else:
            existing.value, existing.reason, existing.updated_at = value, reason, now
            existing.save(update_fields=["value", "reason", "updated_at"])
        score = _recount(locked)
        _credit_upvote(locked, ticket, voter, value == Vote.Value.UP)
    return Score(locked.pk, score.score, score.upvotes, score.downvotes, value)


def vote_retract(*, voter: User, message: Message) -> Score:
    with transaction.atomic():
        locked = Message.objects.select_for_update(of=("self",)).select_related("author").get(pk=message.pk)
        ticket = Ticket.objects.get(pk=locked.ticket_id)
        deleted, _details = Vote.objects.filter(message=locked, voter=voter).delete()
        if not deleted:
            raise DomainError(_("Anda belum memberi suara pada jawaban ini."), code="no_vote")
        score = _recount(locked)
        _credit_upvote(locked, ticket, voter, False)
    return Score(locked.pk, score.score, score.upvotes, score.downvotes, 0)


# --- accepting -------------------------------------------------------------------------------------------------------


def answer_accept(*, actor: User, ticket: Ticket, message_id: int, channel: str = Channel.WEB) -> Ticket:
    """The asker (or a forum volunteer) accepts an answer: the ticket is solved through `ticket_resolve`, and the
    ticket-event listener in `listeners.py` credits the author and marks the question a knowledge-base candidate."""
    if not ticket.is_public:
        raise PermissionDenied(_("Menerima jawaban hanya untuk pertanyaan publik; tiket privat diselesaikan di halaman tiket."))
    if not (access.is_asker(actor, ticket) or ticket_access.can_triage(actor, ticket)):
        raise PermissionDenied(_("Hanya penanya atau relawan forum yang bisa menerima jawaban."))
    message = Message.objects.filter(pk=message_id, ticket=ticket, kind=Message.Kind.REPLY, is_hidden=False).first()
    if message is None:
        raise ValidationError({"message": [_("Jawaban itu bukan jawaban pada pertanyaan ini.")]})
    if ticket.accepted_message_id == message.pk and ticket.status == Status.SELESAI:
        raise DomainError(_("Jawaban ini sudah diterima."), code="already_accepted")
    return ticket_services.ticket_resolve(ticket=ticket, actor=actor, message_id=message.pk, channel=channel)


# --- comments ----------------------------------------------------------------------------------------------------------


def comment_create(*, author: User, ticket: Ticket, body: str, message: Message | None = None) -> Comment:
    body = _clean("body", body, max_chars=MAX_COMMENT_CHARS)
    if message is not None and (message.ticket_id != ticket.pk or message.kind != Message.Kind.REPLY):
        raise ValidationError({"message": [_("Jawaban itu bukan milik pertanyaan ini.")]})
    access.check_comment(author, ticket, message)
    rate(author, "forum_comment")
    with transaction.atomic():
        limits.check_public_post(author, ticket, body, follow_up=ticket_access.is_desa_side(author, ticket))
        comment = Comment.objects.create(
            ticket=ticket, message=message, author=author, body=body, body_html=render_markdown(body)
        )
        audience = [ticket.reporter]
        if message is not None and message.author is not None:
            audience.append(message.author)
        notify_many(
            [u for u in audience if u.pk != author.pk],
            event="forum_comment",
            text=_("%(name)s berkomentar di pertanyaan %(n)s: %(t)s")
            % {"name": author.display_name, "n": ticket.number, "t": ticket.title},
            url=f"{question_url(ticket)}#komentar-{comment.pk}",
            ticket_id=ticket.pk,
            group_key=f"ticket:{ticket.pk}",
        )
    return comment


def question_url(ticket: Ticket) -> str:
    return f"/forum/pertanyaan/{ticket.number}/"


# --- flags and review ----------------------------------------------------------------------------------------------------


def _target(ticket: Ticket, message: Message | None, comment: Comment | None) -> str:
    if comment is not None:
        return f"c:{comment.pk}"
    if message is not None:
        return f"m:{message.pk}"
    return f"q:{ticket.pk}"


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
    note = _clean("note", note, required=False, max_chars=500)
    rate(flagger, "forum_flag")
    target = _target(ticket, message, comment)
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
    reason = _clean("reason", reason, required=False, max_chars=500)
    with transaction.atomic():
        open_flags = list(Flag.objects.select_for_update().filter(target=flag.target, state=Flag.State.OPEN))
        if not open_flags:
            raise DomainError(_("Laporan ini sudah ditinjau."), code="already_reviewed")
        state = Flag.State.UPHELD if decision == "uphold" else Flag.State.DISMISSED
        now = timezone.now()
        Flag.objects.filter(pk__in=[f.pk for f in open_flags]).update(state=state, reviewed_by=reviewer, reviewed_at=now)
        ticket = _locked_ticket(flag.ticket)
        reasons = sorted({f.reason for f in open_flags})
        action = ModerationAction.Action.FLAG_UPHELD if decision == "uphold" else ModerationAction.Action.FLAG_DISMISSED
        _log(ticket, reviewer, action, message=flag.message, comment=flag.comment, reason=reason,
             target=flag.target, reasons=reasons, flags=len(open_flags))
        if decision == "uphold":
            _hide(reviewer, ticket, message=flag.message, comment=flag.comment,
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


# --- moderation ----------------------------------------------------------------------------------------------------------


def _require_moderator(actor: User, ticket: Ticket) -> None:
    if not access.is_moderator(actor, ticket):
        raise PermissionDenied(_("Hanya moderator forum ini (koordinator) yang bisa melakukannya."))


def _hide(actor: User, ticket: Ticket, *, message: Message | None, comment: Comment | None, reason: str) -> bool:
    """Hide one post; a question is hidden by making its ticket private again. True when something changed."""
    if comment is not None:
        changed = Comment.objects.filter(pk=comment.pk, is_hidden=False).update(is_hidden=True)
    elif message is not None:
        changed = Message.objects.filter(pk=message.pk, is_hidden=False).update(is_hidden=True)
    else:
        changed = _set_visibility(ticket, actor, Visibility.PRIVATE, note=_("disembunyikan moderator"))
    if changed:
        _log(ticket, actor, ModerationAction.Action.HIDE, message=message, comment=comment, reason=reason,
             target=_target(ticket, message, comment))
        indexing.sync_question(ticket.pk)
    return bool(changed)


def _set_visibility(ticket: Ticket, actor: User, visibility: str, *, note: str) -> int:
    if ticket.visibility == visibility:
        return 0
    old = ticket.visibility
    ticket.visibility = visibility
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["visibility", "updated_at"])
    _ticket_event(ticket, actor, "visibility", old=old, new=visibility, note=note)
    events.ticket_updated(ticket, {"visibility": (old, visibility)}, actor)
    return 1


def post_hide(*, actor: User, ticket: Ticket, message: Message | None = None, comment: Comment | None = None,
              reason: str = "") -> bool:
    _require_moderator(actor, ticket)
    reason = _clean("reason", reason, required=False, max_chars=500)
    with transaction.atomic():
        locked = _locked_ticket(ticket)
        if message is None and comment is None and not locked.is_public:
            raise DomainError(_("Pertanyaan ini sudah tidak publik."), code="not_public")
        changed = _hide(actor, locked, message=message, comment=comment, reason=reason)
        if not changed:
            raise DomainError(_("Tulisan ini sudah disembunyikan."), code="already_hidden")
    return changed


def post_unhide(*, actor: User, ticket: Ticket, message: Message | None = None, comment: Comment | None = None,
                reason: str = "") -> bool:
    """Show a hidden post again; a question comes back only if a moderator had hidden it (never a private
    ticket that was never public). An upheld spam/rude penalty on the post is returned."""
    _require_moderator(actor, ticket)
    reason = _clean("reason", reason, required=False, max_chars=500)
    target = _target(ticket, message, comment)
    with transaction.atomic():
        locked = _locked_ticket(ticket)
        if comment is not None:
            changed = Comment.objects.filter(pk=comment.pk, is_hidden=True).update(is_hidden=False)
        elif message is not None:
            changed = Message.objects.filter(pk=message.pk, is_hidden=True).update(is_hidden=False)
        else:
            last = ModerationAction.objects.filter(
                ticket=locked, message__isnull=True, comment__isnull=True,
                action__in=[ModerationAction.Action.HIDE, ModerationAction.Action.UNHIDE],
            ).order_by("-at", "-id").first()
            if last is None or last.action != ModerationAction.Action.HIDE:
                raise DomainError(_("Tiket ini tidak disembunyikan moderator."), code="not_hidden")
            changed = _set_visibility(locked, actor, Visibility.PUBLIC, note=_("ditampilkan kembali oleh moderator"))
        if not changed:
            raise DomainError(_("Tulisan ini tidak disembunyikan."), code="not_hidden")
        _log(locked, actor, ModerationAction.Action.UNHIDE, message=message, comment=comment, reason=reason,
             target=target)
        reputation.retract(f"flag:{target}")
        indexing.sync_question(locked.pk)
    return True


def question_lock(*, actor: User, ticket: Ticket, locked: bool, reason: str = "") -> Ticket:
    _require_moderator(actor, ticket)
    reason = _clean("reason", reason, required=False, max_chars=500)
    with transaction.atomic():
        fresh = _locked_ticket(ticket)
        if fresh.is_locked == locked:
            raise DomainError(_("Pertanyaan ini sudah dikunci.") if locked else _("Pertanyaan ini tidak dikunci."),
                              code="unchanged")
        fresh.is_locked = locked
        fresh.updated_at = timezone.now()
        fresh.save(update_fields=["is_locked", "updated_at"])
        _ticket_event(fresh, actor, "locked" if locked else "unlocked", note=reason)
        _log(fresh, actor, ModerationAction.Action.LOCK if locked else ModerationAction.Action.UNLOCK, reason=reason)
        events.ticket_updated(fresh, {"is_locked": (not locked, locked)}, actor)
    return fresh


def question_move(*, actor: User, ticket: Ticket, category: str, reason: str = "") -> Ticket:
    """Move to another category, through `ticket_update` (its audit, system message and events)."""
    _require_moderator(actor, ticket)
    reason = _clean("reason", reason, required=False, max_chars=500)
    old = ticket.category.slug
    if category == old:
        raise DomainError(_("Pertanyaan sudah ada di kategori itu."), code="unchanged")
    with transaction.atomic():
        updated = ticket_services.ticket_update(ticket=ticket, actor=actor, category=category)
        _log(updated, actor, ModerationAction.Action.MOVE, reason=reason, old=old, new=category)
        indexing.sync_question(updated.pk)
    return updated


def question_close_duplicate(*, actor: User, ticket: Ticket, of: Ticket, reason: str = "") -> Ticket:
    """Volunteers, and members with enough reputation, close a public question in favour of another public one.
    `ticket_mark_duplicate` tells the asker through the events seam."""
    if not access.can_close_duplicate(actor, ticket):
        raise PermissionDenied(
            _("Menutup duplikat terbuka untuk relawan dan anggota dengan reputasi %(n)d poin.")
            % {"n": reputation.PRIVILEGES["close_duplicate"]}
        )
    if not of.is_public and not ticket_access.can_triage(actor, ticket):
        raise ValidationError({"of": [_("Pertanyaan tujuan harus pertanyaan publik.")]})
    if of.status == Status.DUPLIKAT and of.duplicate_of_id:
        raise ValidationError({"of": [_("Pertanyaan tujuan sendiri duplikat; pilih pertanyaan aslinya.")]})
    with transaction.atomic():
        closed = ticket_services.ticket_mark_duplicate(ticket=ticket, actor=actor, of=of)
        _log(closed, actor, ModerationAction.Action.DUPLICATE, reason=reason, of=of.number)
        indexing.sync_question(closed.pk)
    return closed


# --- edits with history -------------------------------------------------------------------------------------------------


def post_edit(
    *, editor: User, ticket: Ticket, body: str, title: str | None = None, message: Message | None = None,
    comment: Comment | None = None, reason: str = "",
) -> None:
    """Edit a question (title and text), an answer or a comment. The previous text is kept as a Revision; an
    edit by anyone but the author is also a logged moderator action."""
    reason = _clean("reason", reason, required=False, max_chars=MAX_REASON_CHARS)
    if comment is not None:
        author_id, hidden = comment.author_id, comment.is_hidden
        body = _clean("body", body, max_chars=MAX_COMMENT_CHARS)
    elif message is not None:
        author_id, hidden = message.author_id, message.is_hidden
        body = _clean("body", body)
    else:
        author_id, hidden = ticket.reporter_id, False
        body = _clean("description", body, required=False)
        title = _clean("title", title or "", max_chars=200)
    if not access.can_edit(editor, ticket, author_id=author_id, hidden=hidden):
        raise PermissionDenied(
            _("Menyunting tulisan orang lain terbuka untuk moderator dan anggota dengan reputasi %(n)d poin.")
            % {"n": reputation.PRIVILEGES["edit_others"]}
        )
    if ticket.is_public:
        limits.check_public_post(editor, ticket, f"{title or ''}\n{body}", follow_up=True)
    now = timezone.now()
    with transaction.atomic():
        fresh = _locked_ticket(ticket)
        if comment is not None:
            Revision.objects.create(ticket=fresh, comment=comment, editor=editor, body=comment.body, reason=reason)
            Comment.objects.filter(pk=comment.pk).update(body=body, body_html=render_markdown(body), edited_at=now)
        elif message is not None:
            Revision.objects.create(ticket=fresh, message=message, editor=editor, body=message.body, reason=reason)
            Message.objects.filter(pk=message.pk).update(body=body, body_html=render_markdown(body), edited_at=now)
        else:
            Revision.objects.create(ticket=fresh, editor=editor, title=fresh.title, body=fresh.description, reason=reason)
            old_title = fresh.title
            fresh.title, fresh.description, fresh.description_html = title or fresh.title, body, render_markdown(body)
            fresh.updated_at = now
            fresh.save(update_fields=["title", "description", "description_html", "updated_at"])
            _ticket_event(fresh, editor, "edited", old=old_title, new=fresh.title, note=reason)
            if old_title != fresh.title:
                events.ticket_updated(fresh, {"title": (old_title, fresh.title)}, editor)
        if author_id != editor.pk:
            _log(fresh, editor, ModerationAction.Action.EDIT, message=message, comment=comment, reason=reason,
                 target=_target(fresh, message, comment))
        indexing.sync_question(fresh.pk)


# --- making a private ticket public ----------------------------------------------------------------------------------


def proposal_create(*, actor: User, ticket: Ticket, note: str = "") -> PublicProposal:
    if not access.can_propose_public(actor, ticket):
        raise PermissionDenied(_("Hanya relawan forum tiket ini yang bisa mengusulkan tiket privat menjadi publik."))
    note = _clean("note", note, required=False, max_chars=500)
    with transaction.atomic():
        try:
            with transaction.atomic():
                proposal = PublicProposal.objects.create(ticket=ticket, proposed_by=actor, note=note)
        except IntegrityError:
            raise DomainError(_("Usulan untuk tiket ini masih menunggu jawaban pelapor."), code="pending") from None
        _ticket_event(ticket, actor, "public_proposed", note=note)
        notify(
            user=ticket.reporter,
            event="forum_publish_request",
            text=_("%(name)s mengusulkan tiket %(n)s dijadikan pertanyaan publik di forum. Setujui atau tolak.")
            % {"name": actor.display_name, "n": ticket.number},
            url=f"/forum/usulan/{proposal.pk}/",
            ticket_id=ticket.pk,
            group_key=f"ticket:{ticket.pk}",
        )
    return proposal


def proposal_decide(*, actor: User, proposal: PublicProposal, accept: bool) -> PublicProposal:
    """Only the reporter consents. On consent, personal data is masked in the title, the description and every
    public reply (the originals stay in the edit history, which only moderators and authors can read), and the
    ticket becomes a public question."""
    ticket = proposal.ticket
    if actor.pk != ticket.reporter_id:
        raise PermissionDenied(_("Hanya pelapor tiket yang bisa menyetujui atau menolak usulan ini."))
    with transaction.atomic():
        decided = PublicProposal.objects.filter(pk=proposal.pk, state=PublicProposal.State.PENDING).update(
            state=PublicProposal.State.ACCEPTED if accept else PublicProposal.State.DECLINED,
            decided_by=actor, decided_at=timezone.now(),
        )
        if not decided:
            raise DomainError(_("Usulan ini sudah diputuskan."), code="already_decided")
        if accept:
            _publish(_locked_ticket(ticket), actor)
        else:
            _ticket_event(ticket, actor, "public_declined")
    proposal.refresh_from_db()
    return proposal


def _publish(ticket: Ticket, actor: User) -> None:
    title, masked_title = mask(ticket.title)
    description, masked_body = mask(ticket.description)
    masked = set(masked_title) | set(masked_body)
    if masked:
        Revision.objects.create(ticket=ticket, editor=actor, title=ticket.title, body=ticket.description,
                                reason=_("data pribadi disamarkan sebelum menjadi publik"))
        ticket.title, ticket.description, ticket.description_html = title[:200], description, render_markdown(description)
        ticket.save(update_fields=["title", "description", "description_html"])
    for message in Message.objects.filter(ticket=ticket, kind=Message.Kind.REPLY):
        body, kinds = mask(message.body)
        if kinds:
            masked |= set(kinds)
            Revision.objects.create(ticket=ticket, message=message, editor=actor, body=message.body,
                                    reason=_("data pribadi disamarkan sebelum menjadi publik"))
            Message.objects.filter(pk=message.pk).update(body=body, body_html=render_markdown(body))
    _log(ticket, actor, ModerationAction.Action.PUBLISH, masked=sorted(masked))
    _set_visibility(ticket, actor, Visibility.PUBLIC, note=_("disetujui pelapor; data pribadi disamarkan"))
