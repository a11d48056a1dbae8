"""The first ticket of an operator who is still waiting for verification (issue 15 item 9).

A pending operator fills the usual "Lapor masalah" form; what they send is kept as a `TicketDraft` (one per
operator, with its checked attachment), which nobody else sees and which has no number, queue or SLA. The
moment a coordinator or an admin verifies them (`accounts.extensions.operator_changed`, inside the review's
transaction) the draft is filed through `ticket_create`, the same path as any filing: numbering, routing,
notifications, realtime, the team's Telegram group, search. A rejection drops the draft and its file.

Exactly once: the draft row is locked and deleted in the transaction that files it, and the review's
compare-and-set lets only one of two racing verifications through; a second verification finds no draft.
"""

from __future__ import annotations

import io
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.access import is_pending_operator
from helpdesk.accounts.models import User
from helpdesk.core.errors import DomainError
from helpdesk.core.uploads import CheckedFile, UploadRejected, check_upload
from helpdesk.notifications import services as notifications

from ..models import Channel, Hosting, Priority, Ticket, TicketDraft, Visibility
from .common import active_category, check_choice, check_text
from .intake import MAX_TITLE_CHARS, ticket_create
from .messages import attachment_add

log = logging.getLogger(__name__)


def draft_of(user: User) -> TicketDraft | None:
    return TicketDraft.objects.filter(reporter_id=user.pk).first()


def draft_save(
    *,
    reporter: User,
    title: str,
    description: str = "",
    category: str,
    priority: str = Priority.NORMAL,
    opensid_version: str = "",
    hosting: str = Hosting.LAINNYA,
    visibility: str = Visibility.PRIVATE,
    upload: CheckedFile | None = None,
) -> TicketDraft:
    """Keep (or replace) the pending operator's draft. The checks are filing's own, so it files as it was kept;
    without a new upload, a file kept earlier stays."""
    if not is_pending_operator(reporter):
        raise PermissionDenied(_("Hanya operator yang menunggu verifikasi yang menyimpan draf tiket."))
    title = check_text("title", title, required=True)
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationError({"title": [_("Judul terlalu panjang (maks. 200 karakter).")]})
    fields = {
        "title": title,
        "description": check_text("description", description),
        "category": active_category(category).slug,
        "priority": check_choice("priority", priority, Priority.values),
        "opensid_version": (opensid_version or "").strip()[:40],
        "hosting": check_choice("hosting", hosting, Hosting.values),
        "visibility": check_choice("visibility", visibility, Visibility.values),
        "updated_at": timezone.now(),
    }
    if upload is not None:
        fields.update(file_name=upload.name[:200], file_content=upload.content)
    with transaction.atomic():
        draft, _created = TicketDraft.objects.update_or_create(reporter=reporter, defaults=fields)
    return draft


def draft_discard(*, operator: User) -> bool:
    deleted, _rows = TicketDraft.objects.filter(reporter_id=operator.pk).delete()
    return bool(deleted)


def draft_file(*, operator: User) -> Ticket | None:
    """File the operator's draft as their ticket, once: None when there is none (already filed, or never kept).
    Raises what `ticket_create` raises (the draft is then kept, and the operator can send it from the form)."""
    with transaction.atomic():
        draft = TicketDraft.objects.select_for_update().filter(reporter_id=operator.pk).first()
        if draft is None:
            return None
        ticket = ticket_create(
            reporter=operator, title=draft.title, description=draft.description, category=draft.category,
            priority=draft.priority, opensid_version=draft.opensid_version, hosting=draft.hosting,
            visibility=draft.visibility, channel=Channel.WEB,
        )
        if draft.file_name:
            content = bytes(draft.file_content)
            checked = check_upload(draft.file_name, io.BytesIO(content), declared_size=len(content))
            attachment_add(ticket=ticket, actor=operator, checked=checked)
        draft.delete()
        notifications.notify(
            user=operator, event="ticket_status", ticket_id=ticket.pk, url=ticket.get_absolute_url(),
            text=_("Akun Anda sudah diverifikasi. Laporan yang Anda siapkan terkirim sebagai tiket %(number)s.")
            % {"number": ticket.number},
        )
    return ticket


def on_operator_changed(operator: User, event: str) -> tuple[str, str] | None:
    """`accounts.extensions.operator_changed`: file the draft on verification, drop it on rejection."""
    if event == User.OperatorStatus.REJECTED:
        draft_discard(operator=operator)
        return None
    if event != User.OperatorStatus.VERIFIED:
        return None
    try:
        with transaction.atomic():  # a draft that can no longer file (a retired category) must not undo the review
            ticket = draft_file(operator=operator)
    except (ValidationError, PermissionDenied, DomainError, UploadRejected) as exc:
        log.warning("draft of operator %s not filed on verification: %s", operator.pk, exc)
        return None
    return (ticket.number, ticket.get_absolute_url()) if ticket is not None else None
