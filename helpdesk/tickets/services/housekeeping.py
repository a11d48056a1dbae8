"""Scheduled and membership-driven writes: tickets released when a volunteer leaves, solved tickets closed."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.models import ForumMembership

from ..models import (
    OPEN_STATUSES,
    Channel,
    Status,
    Ticket,
)
from .common import (
    emit_changes,
    lock_ticket,
    log_event,
    set_status,
    snapshot,
    system_message,
)

AUTO_CLOSE_AFTER = timedelta(days=7)


def release_tickets_of(membership: ForumMembership) -> int:
    """A deactivated volunteer's open tickets in that forum go back to the queue."""
    released = 0
    for ticket in Ticket.objects.filter(
        forum_id=membership.forum_id, assignee_id=membership.user_id, status__in=OPEN_STATUSES
    ):
        with transaction.atomic():
            locked = lock_ticket(ticket)
            before = snapshot(locked)
            locked.assignee = None
            if locked.status == Status.DITANGANI:
                log_event(locked, None, "status", old=locked.status, new=Status.BARU)
                locked.status = Status.BARU
            locked.updated_at = timezone.now()
            locked.save()
            log_event(locked, None, "unassigned", old=membership.user.username, note=_("relawan dinonaktifkan"))
            system_message(locked, _("Relawan tidak aktif lagi; tiket kembali ke antrean forum."))
            emit_changes(locked, before, None)
            released += 1
    return released


def auto_close_solved() -> int:
    """`selesai` becomes `ditutup` after seven days without a reply."""
    cutoff = timezone.now() - AUTO_CLOSE_AFTER
    closed = 0
    for ticket in Ticket.objects.filter(status=Status.SELESAI, updated_at__lte=cutoff).only("pk"):
        with transaction.atomic():
            locked = lock_ticket(ticket)
            if locked.status != Status.SELESAI or locked.updated_at > cutoff:
                continue
            before = snapshot(locked)
            set_status(locked, "auto_close", None, Channel.SYSTEM)
            locked.closed_at = timezone.now()
            locked.save()
            system_message(locked, _("Tiket ditutup otomatis: tujuh hari tanpa balasan setelah selesai."))
            emit_changes(locked, before, None)
            closed += 1
    return closed
