"""One ticket folded into another: marked a duplicate (it stays, pointing at the other) or merged."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.models import User

from .. import access, lifecycle
from ..models import (
    Attachment,
    Channel,
    Message,
    Status,
    Ticket,
)
from .common import (
    display_name,
    emit_changes,
    lock_ticket,
    log_event,
    set_status,
    snapshot,
    system_message,
)


def lock_pair(ticket: Ticket, other: Ticket) -> tuple[Ticket, Ticket]:
    """Both tickets re-read under their row locks, taken in id order: A->B and B->A at the same moment then wait
    for each other instead of deadlocking (each had locked its own ticket and waited for the other's)."""
    locked = {t.pk: lock_ticket(t) for t in sorted((ticket, other), key=lambda t: t.pk)}
    return locked[ticket.pk], locked[other.pk]


def ticket_mark_duplicate(*, ticket: Ticket, actor: User, of: Ticket, channel: str = Channel.WEB) -> Ticket:
    if of.pk == ticket.pk:
        raise ValidationError({"of": [_("Tiket tidak bisa menjadi duplikat dirinya sendiri.")]})
    with transaction.atomic():
        ticket, of = lock_pair(ticket, of)  # the target's state read under its lock: no cycle from two marks at once
        before = snapshot(ticket)
        if not access.can_mark_duplicate(actor, ticket):
            raise PermissionDenied(_("Hanya relawan forum ini yang bisa menandai duplikat."))
        if of.duplicate_of_id == ticket.pk:
            raise ValidationError({"of": [_("Tiket tujuan adalah duplikat dari tiket ini.")]})
        if of.duplicate_of_id is not None:
            # A duplicate of a duplicate: chains A -> B -> C -> A closed every ticket with no canonical one left,
            # and the reporter was sent on to a ticket that is itself closed.
            raise ValidationError({"of": [
                _("Tiket %(number)s sendiri duplikat dari tiket lain: tandai sebagai duplikat tiket itu.")
                % {"number": of.number}
            ]})
        set_status(ticket, "duplicate", actor, channel)
        ticket.duplicate_of = of
        ticket.updated_at = timezone.now()
        ticket.save()
        log_event(ticket, actor, "duplicate", new=of.number, channel=channel)
        system_message(
            ticket,
            _("%(name)s menandai tiket ini sebagai duplikat dari %(number)s. Lanjutkan di tiket itu.")
            % {"name": display_name(actor), "number": of.number},
            actor,
        )
        emit_changes(ticket, before, actor)
    return ticket




def ticket_merge(*, ticket: Ticket, actor: User, into: Ticket, channel: str = Channel.WEB) -> Ticket:
    """Move a duplicate's thread into the canonical ticket of the SAME desa. Across desas, private messages
    would reach another village, so only `ticket_mark_duplicate` (a link) is allowed there."""
    if into.pk == ticket.pk:
        raise ValidationError({"into": [_("Tiket tidak bisa digabung ke dirinya sendiri.")]})
    if into.desa_id != ticket.desa_id:
        raise ValidationError({"into": [
            _("Penggabungan hanya untuk tiket dari desa yang sama. Untuk desa lain, tandai sebagai duplikat.")
        ]})
    with transaction.atomic():
        ticket, target = lock_pair(ticket, into)
        if not (access.can_triage(actor, ticket) and access.can_triage(actor, target)):
            raise PermissionDenied(_("Hanya relawan forum kedua tiket yang bisa menggabungkan."))
        if not target.is_open and target.status != Status.SELESAI:
            raise lifecycle.IllegalTransition(_("Tiket tujuan sudah ditutup; buka kembali dulu."))
        before, target_before = snapshot(ticket), snapshot(target)
        set_status(ticket, "duplicate", actor, channel)
        moved_public = Message.objects.filter(ticket=ticket, kind=Message.Kind.REPLY).count()
        Message.objects.filter(ticket=ticket).exclude(kind=Message.Kind.SYSTEM).update(ticket=target)
        Attachment.objects.filter(ticket=ticket).update(ticket=target)
        target.watchers.add(ticket.reporter, *ticket.watchers.all())
        now = timezone.now()
        ticket.duplicate_of, ticket.merged, ticket.updated_at = target, True, now
        ticket.save()
        target.reply_count += moved_public
        target.updated_at = now
        target.save()
        log_event(ticket, actor, "merged", new=target.number, channel=channel)
        log_event(target, actor, "merged_from", new=ticket.number, note=ticket.title[:200], channel=channel)
        system_message(ticket, _("%(name)s menggabungkan tiket ini ke %(number)s.") % {
            "name": display_name(actor), "number": target.number}, actor)
        system_message(target, _("Tiket %(number)s (%(title)s) digabung ke sini oleh %(name)s.") % {
            "number": ticket.number, "title": ticket.title, "name": display_name(actor)}, actor)
        emit_changes(ticket, before, actor)
        emit_changes(target, target_before, actor)
    return target


