"""A ticket's state and fields: claim, resolve, close, reopen, update, rate, watch, and the bulk actions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.access import is_member_of
from helpdesk.accounts.models import User
from helpdesk.core.errors import DomainError
from helpdesk.core.refusals import REFUSALS_OR_ABSENT, person_message

from .. import access, lifecycle, sla
from ..models import (
    Channel,
    Message,
    Priority,
    Rating,
    Status,
    Ticket,
)
from .common import (
    active_category,
    check_choice,
    check_text,
    display_name,
    emit_changes,
    lock_ticket,
    log_event,
    set_status,
    snapshot,
    system_message,
)


def ticket_claim(*, ticket: Ticket, actor: User, channel: str = Channel.WEB) -> Ticket:
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        before = snapshot(ticket)
        if not access.is_forum_volunteer(actor, ticket):
            raise PermissionDenied(_("Hanya relawan forum ini yang bisa mengambil tiket."))
        if ticket.assignee_id == actor.pk:
            return ticket
        if ticket.assignee_id is not None:
            holder = User.objects.filter(pk=ticket.assignee_id).first()
            raise DomainError(_("Tiket sudah diambil %(name)s.") % {"name": display_name(holder)}, code="already_claimed")
        set_status(ticket, "claim", actor, channel)
        ticket.assignee = actor
        ticket.updated_at = timezone.now()
        ticket.save()
        log_event(ticket, actor, "claimed", new=actor.username, channel=channel)
        system_message(ticket, _("%(name)s menangani tiket ini.") % {"name": display_name(actor)}, actor)
        emit_changes(ticket, before, actor)
    return ticket


def ticket_resolve(
    *, ticket: Ticket, actor: User, message_id: int | None = None, channel: str = Channel.WEB
) -> Ticket:
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        before = snapshot(ticket)
        if not access.can_resolve(actor, ticket):
            raise PermissionDenied(_("Anda tidak bisa menyelesaikan tiket ini."))
        accepted = None
        if message_id is not None:
            accepted = Message.objects.filter(pk=message_id, ticket=ticket, kind=Message.Kind.REPLY).first()
            if accepted is None:
                raise ValidationError({"message": [_("Jawaban itu bukan balasan publik pada tiket ini.")]})
        set_status(ticket, "accept" if accepted is not None and ticket.is_public else "resolve", actor, channel)
        now = timezone.now()
        ticket.accepted_message = accepted
        ticket.resolved_at = ticket.updated_at = now
        ticket.save()
        log_event(ticket, actor, "resolved", new=str(accepted.pk) if accepted else "", channel=channel)
        system_message(ticket, _("%(name)s menandai masalah selesai.") % {"name": display_name(actor)}, actor)
        emit_changes(ticket, before, actor)
    return ticket


def ticket_close(*, ticket: Ticket, actor: User, channel: str = Channel.WEB) -> Ticket:
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        before = snapshot(ticket)
        if not access.can_close(actor, ticket):
            if access.can_resolve(actor, ticket):  # the desa side, before the problem is solved
                raise lifecycle.IllegalTransition(_("Operator bisa menutup tiket setelah masalahnya selesai."))
            raise PermissionDenied(_("Anda tidak bisa menutup tiket ini."))
        set_status(ticket, "close", actor, channel)
        ticket.closed_at = ticket.updated_at = timezone.now()
        ticket.save()
        system_message(ticket, _("%(name)s menutup tiket ini.") % {"name": display_name(actor)}, actor)
        emit_changes(ticket, before, actor)
    return ticket


def ticket_reopen(*, ticket: Ticket, actor: User, channel: str = Channel.WEB) -> Ticket:
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        before = snapshot(ticket)
        if not access.can_reopen(actor, ticket):
            raise PermissionDenied(_("Anda tidak bisa membuka kembali tiket ini."))
        set_status(ticket, "reopen", actor, channel)
        ticket.closed_at = None
        ticket.resolved_at = None
        ticket.accepted_message = None
        ticket.updated_at = timezone.now()
        ticket.save()
        system_message(ticket, _("%(name)s membuka kembali tiket ini.") % {"name": display_name(actor)}, actor)
        emit_changes(ticket, before, actor)
    return ticket


UNSET: Any = object()  # ticket_update: "assignee not given", as opposed to None, "no assignee"


def ticket_update(
    *,
    ticket: Ticket,
    actor: User,
    category: str | None = None,
    priority: str | None = None,
    assignee: User | None = UNSET,
    channel: str = Channel.WEB,
) -> Ticket:
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        before = snapshot(ticket)
        if not access.can_triage(actor, ticket):
            raise PermissionDenied(_("Hanya relawan forum ini yang bisa mengubah tiket."))
        notes: list[str] = []
        if category is not None and category != ticket.category.slug:
            new_category = active_category(category)
            log_event(ticket, actor, "category", old=ticket.category.slug, new=new_category.slug, channel=channel)
            notes.append(_("kategori menjadi %(c)s") % {"c": new_category.name})
            ticket.category = new_category
        if priority is not None and priority != ticket.priority:
            check_choice("priority", priority, Priority.values)
            log_event(ticket, actor, "priority", old=ticket.priority, new=priority, channel=channel)
            notes.append(_("prioritas menjadi %(p)s") % {"p": Priority(priority).label})
            ticket.priority = priority
            sla.apply_deadlines(ticket)
        if assignee is not UNSET and (assignee.pk if assignee else None) != ticket.assignee_id:
            if assignee is not None and not is_member_of(assignee, ticket.forum_id):
                raise ValidationError({"assignee": [_("Penanggung jawab harus relawan forum tiket ini.")]})
            if not ticket.is_open:
                raise lifecycle.IllegalTransition(_("Tiket yang sudah selesai atau ditutup tidak bisa dialihkan."))
            old = ticket.assignee.username if ticket.assignee else ""
            ticket.assignee = assignee
            if assignee is not None and ticket.status == Status.BARU:
                set_status(ticket, "claim", actor, channel)
            log_event(ticket, actor, "assigned", old=old, new=assignee.username if assignee else "", channel=channel)
            notes.append(
                _("penanggung jawab menjadi %(n)s") % {"n": assignee.display_name}
                if assignee
                else _("penanggung jawab dilepas")
            )
        if notes:
            ticket.updated_at = timezone.now()
            ticket.save()
            system_message(ticket, _("%(name)s mengubah %(what)s.") % {"name": display_name(actor), "what": ", ".join(notes)}, actor)
        emit_changes(ticket, before, actor)
    return ticket


def ticket_rate(*, ticket: Ticket, actor: User, score: int, comment: str = "") -> Rating:
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": [_("Nilai harus 1 sampai 5.")]})
    comment = check_text("comment", comment)
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        if not access.can_rate(actor, ticket):
            if access.is_desa_side(actor, ticket) and ticket.status not in (Status.SELESAI, Status.DITUTUP):
                raise DomainError(_("Tiket bisa dinilai setelah selesai."), code="not_solved")
            raise PermissionDenied(_("Hanya desa pelapor yang bisa menilai bantuan ini."))
        rating, _created = Rating.objects.update_or_create(
            ticket=ticket,
            defaults={"score": score, "comment": comment, "rated_by": actor, "volunteer_id": ticket.assignee_id,
                      "at": timezone.now()},
        )
        log_event(ticket, actor, "rated", new=str(score))
    return rating


def ticket_watch(*, ticket: Ticket, user: User, watch: bool = True) -> None:
    if not access.can_see(user, ticket) or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Anda tidak bisa mengikuti tiket ini."))
    if watch:
        ticket.watchers.add(user)
    else:
        ticket.watchers.remove(user)


BULK_ACTIONS = ("claim", "close")


def tickets_bulk(*, actor: User, ids: list[int], action: str, channel: str = Channel.WEB) -> dict[int, str]:
    """Claim or close several tickets; each in its own transaction, each result reported ("ok" or why not)."""
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": [_("Tindakan massal yang tersedia: ambil (claim) atau tutup (close).")]})
    results: dict[int, str] = {}
    fn = ticket_claim if action == "claim" else ticket_close
    for ticket_id in dict.fromkeys(ids):
        try:
            ticket = access.access_ticket(actor, ticket_id)
            fn(ticket=ticket, actor=actor, channel=channel)
            results[ticket_id] = "ok"
        except REFUSALS_OR_ABSENT as exc:
            results[ticket_id] = person_message(exc, not_found=_("tidak ditemukan"))
    return results
