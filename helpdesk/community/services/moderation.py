"""Moderators' actions: hide and unhide, lock, move, close as duplicate, and edits kept with their history."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.models import User
from helpdesk.core.errors import DomainError
from helpdesk.core.markdown import render_markdown
from helpdesk.tickets import access as ticket_access
from helpdesk.tickets import events
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.models import (
    Message,
    Status,
    Ticket,
    Visibility,
)

from .. import access, indexing, limits, reputation
from ..models import (
    Comment,
    ModerationAction,
    Revision,
)
from .common import (
    MAX_COMMENT_CHARS,
    MAX_REASON_CHARS,
    clean,
    lock_ticket,
    log_action,
    target_name,
    ticket_event,
)


def _require_moderator(actor: User, ticket: Ticket) -> None:
    if not access.is_moderator(actor, ticket):
        raise PermissionDenied(_("Hanya moderator forum ini (koordinator) yang bisa melakukannya."))


def hide_post(actor: User, ticket: Ticket, *, message: Message | None, comment: Comment | None, reason: str) -> bool:
    """Hide one post; a question is hidden by making its ticket private again. True when something changed."""
    if comment is not None:
        changed = Comment.objects.filter(pk=comment.pk, is_hidden=False).update(is_hidden=True)
    elif message is not None:
        changed = Message.objects.filter(pk=message.pk, is_hidden=False).update(is_hidden=True)
    else:
        changed = set_visibility(ticket, actor, Visibility.PRIVATE, note=_("disembunyikan moderator"))
    if changed:
        log_action(ticket, actor, ModerationAction.Action.HIDE, message=message, comment=comment, reason=reason,
                   target=target_name(ticket, message, comment))
        indexing.sync_question(ticket.pk)
    return bool(changed)


def set_visibility(ticket: Ticket, actor: User, visibility: str, *, note: str) -> int:
    if ticket.visibility == visibility:
        return 0
    old = ticket.visibility
    ticket.visibility = visibility
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["visibility", "updated_at"])
    ticket_event(ticket, actor, "visibility", old=old, new=visibility, note=note)
    events.ticket_updated(ticket, {"visibility": (old, visibility)}, actor)
    return 1


def post_hide(*, actor: User, ticket: Ticket, message: Message | None = None, comment: Comment | None = None,
              reason: str = "") -> bool:
    _require_moderator(actor, ticket)
    reason = clean("reason", reason, required=False, max_chars=500)
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if message is None and comment is None and not locked.is_public:
            raise DomainError(_("Pertanyaan ini sudah tidak publik."), code="not_public")
        changed = hide_post(actor, locked, message=message, comment=comment, reason=reason)
        if not changed:
            raise DomainError(_("Tulisan ini sudah disembunyikan."), code="already_hidden")
    return changed


def post_unhide(*, actor: User, ticket: Ticket, message: Message | None = None, comment: Comment | None = None,
                reason: str = "") -> bool:
    """Show a hidden post again; a question comes back only if a moderator had hidden it (never a private
    ticket that was never public). An upheld spam/rude penalty on the post is returned."""
    _require_moderator(actor, ticket)
    reason = clean("reason", reason, required=False, max_chars=500)
    target = target_name(ticket, message, comment)
    with transaction.atomic():
        locked = lock_ticket(ticket)
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
            changed = set_visibility(locked, actor, Visibility.PUBLIC, note=_("ditampilkan kembali oleh moderator"))
        if not changed:
            raise DomainError(_("Tulisan ini tidak disembunyikan."), code="not_hidden")
        log_action(locked, actor, ModerationAction.Action.UNHIDE, message=message, comment=comment, reason=reason,
                   target=target)
        reputation.retract(f"flag:{target}")
        indexing.sync_question(locked.pk)
    return True


def question_lock(*, actor: User, ticket: Ticket, locked: bool, reason: str = "") -> Ticket:
    _require_moderator(actor, ticket)
    reason = clean("reason", reason, required=False, max_chars=500)
    with transaction.atomic():
        fresh = lock_ticket(ticket)
        if fresh.is_locked == locked:
            raise DomainError(_("Pertanyaan ini sudah dikunci.") if locked else _("Pertanyaan ini tidak dikunci."),
                              code="unchanged")
        fresh.is_locked = locked
        fresh.updated_at = timezone.now()
        fresh.save(update_fields=["is_locked", "updated_at"])
        ticket_event(fresh, actor, "locked" if locked else "unlocked", note=reason)
        log_action(fresh, actor, ModerationAction.Action.LOCK if locked else ModerationAction.Action.UNLOCK, reason=reason)
        events.ticket_updated(fresh, {"is_locked": (not locked, locked)}, actor)
    return fresh


def question_move(*, actor: User, ticket: Ticket, category: str, reason: str = "") -> Ticket:
    """Move to another category, through `ticket_update` (its audit, system message and events)."""
    _require_moderator(actor, ticket)
    reason = clean("reason", reason, required=False, max_chars=500)
    old = ticket.category.slug
    if category == old:
        raise DomainError(_("Pertanyaan sudah ada di kategori itu."), code="unchanged")
    with transaction.atomic():
        updated = ticket_services.ticket_update(ticket=ticket, actor=actor, category=category)
        log_action(updated, actor, ModerationAction.Action.MOVE, reason=reason, old=old, new=category)
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
        log_action(closed, actor, ModerationAction.Action.DUPLICATE, reason=reason, of=of.number)
        indexing.sync_question(closed.pk)
    return closed


def post_edit(
    *, editor: User, ticket: Ticket, body: str, title: str | None = None, message: Message | None = None,
    comment: Comment | None = None, reason: str = "",
) -> None:
    """Edit a question (title and text), an answer or a comment. The previous text is kept as a Revision; an
    edit by anyone but the author is also a logged moderator action."""
    reason = clean("reason", reason, required=False, max_chars=MAX_REASON_CHARS)
    if comment is not None:
        author_id, hidden = comment.author_id, comment.is_hidden
        body = clean("body", body, max_chars=MAX_COMMENT_CHARS)
    elif message is not None:
        author_id, hidden = message.author_id, message.is_hidden
        body = clean("body", body)
    else:
        author_id, hidden = ticket.reporter_id, False
        body = clean("description", body, required=False)
        title = clean("title", title or "", max_chars=200)
    if not access.can_edit(editor, ticket, author_id=author_id, hidden=hidden):
        # Said as it is: the author of a locked question was told about "other people's posts".
        if ticket.is_locked:
            raise PermissionDenied(_("Pertanyaan ini dikunci moderator, jadi tulisannya tidak bisa disunting."))
        if hidden:
            raise PermissionDenied(_("Tulisan ini disembunyikan moderator; hanya moderator yang bisa menyuntingnya."))
        raise PermissionDenied(
            _("Menyunting tulisan orang lain terbuka untuk moderator dan anggota dengan reputasi %(n)d poin.")
            % {"n": reputation.PRIVILEGES["edit_others"]}
        )
    if ticket.is_public:
        limits.check_public_post(editor, ticket, f"{title or ''}\n{body}", follow_up=True)
    now = timezone.now()
    with transaction.atomic():
        fresh = lock_ticket(ticket)
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
            ticket_event(fresh, editor, "edited", old=old_title, new=fresh.title, note=reason)
            if old_title != fresh.title:
                events.ticket_updated(fresh, {"title": (old_title, fresh.title)}, editor)
        if author_id != editor.pk:
            log_action(fresh, editor, ModerationAction.Action.EDIT, message=message, comment=comment, reason=reason,
                       target=target_name(fresh, message, comment))
        indexing.sync_question(fresh.pk)
