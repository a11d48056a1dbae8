"""What is said on a ticket: replies and internal notes (with the status move a reply makes), attachments."""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.access import is_admin
from helpdesk.accounts.models import User
from helpdesk.core.deadlocks import retrying
from helpdesk.core.errors import StorageFull
from helpdesk.core.markdown import render_markdown
from helpdesk.core.uploads import CheckedFile

from .. import access, events
from ..models import (
    OPEN_STATUSES,
    Attachment,
    Channel,
    Message,
    Ticket,
    attachment_path,
)
from .common import (
    check_text,
    emit_changes,
    lock_ticket,
    log_event,
    set_status,
    snapshot,
)


def _reply_action(ticket: Ticket, author: User) -> str:
    if access.is_desa_side(author, ticket):
        return "operator_reply"
    if access.is_forum_volunteer(author, ticket) or is_admin(author):
        return "volunteer_reply"
    return "community_reply"


@retrying
def message_create(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    internal: bool = False,
    channel: str = Channel.WEB,
) -> Message:
    body = check_text("body", body, required=True)
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        if internal:
            if not access.can_add_internal_note(author, ticket):
                raise PermissionDenied(_("Catatan internal hanya untuk relawan forum."))
            action = "internal_note"
        else:
            if not access.can_reply(author, ticket):
                raise PermissionDenied(_("Anda tidak bisa membalas tiket ini."))
            access.check_post(author, ticket, body)
            action = _reply_action(ticket, author)
        before = snapshot(ticket)
        now = timezone.now()
        by_volunteer = action == "volunteer_reply" and access.is_forum_volunteer(author, ticket)
        if by_volunteer and ticket.assignee_id is None and ticket.status in OPEN_STATUSES:
            # Answering an unclaimed ticket claims it: the operator should know who is helping.
            ticket.assignee = author
            log_event(ticket, author, "claimed", new=author.username, note=_("dengan membalas"), channel=channel)
        set_status(ticket, action, author, channel)
        message = Message.objects.create(
            ticket=ticket,
            kind=Message.Kind.INTERNAL if internal else Message.Kind.REPLY,
            author=author,
            body=body,
            body_html=render_markdown(body),
            source=channel,
            by_volunteer=by_volunteer,
            created_at=now,
        )
        if not internal:
            ticket.reply_count += 1
            if by_volunteer and ticket.first_response_at is None:
                ticket.first_response_at = now
                log_event(ticket, author, "first_response", channel=channel)
        ticket.updated_at = now
        ticket.save()
        events.message_created(ticket, message)
        emit_changes(ticket, before, author)
    return message


def attachment_add(
    *, ticket: Ticket, actor: User, checked: CheckedFile, message: Message | None = None
) -> Attachment:
    if message is not None and message.ticket_id != ticket.pk:
        raise ValidationError({"message": [_("Pesan itu bukan milik tiket ini.")]})
    internal = message is not None and message.kind == Message.Kind.INTERNAL
    allowed = access.can_add_internal_note(actor, ticket) if internal else access.can_reply(actor, ticket)
    if not allowed:
        raise PermissionDenied(_("Anda tidak bisa melampirkan berkas pada tiket ini."))
    attachment = Attachment(
        ticket=ticket,
        message=message,
        uploaded_by=actor,
        token=secrets.token_hex(16),
        name=checked.name,
        size=checked.size,
        content_type=checked.content_type,
        sha256=checked.sha256,
    )
    try:
        with transaction.atomic():
            attachment.file.save(checked.name, ContentFile(checked.content), save=False)
            if checked.thumbnail:
                attachment.thumbnail.save("thumb.jpg", ContentFile(checked.thumbnail), save=False)
            attachment.save()
            log_event(ticket, actor, "attachment", new=checked.name)
            Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    except BaseException as exc:
        _discard_files(attachment)
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageFull() from exc
        raise
    return attachment


def _discard_files(attachment: Attachment) -> None:
    """Remove what a failed `attachment_add` wrote, a partial file included (a full disk stops a write half-way,
    and the storage leaves that half behind): everything in the attachment's own folder, which is named after
    its unique token. No row refers to any of it, since the transaction was rolled back."""
    storage = attachment.file.storage
    folders = {posixpath.dirname(attachment_path(attachment, "x"))}
    folders.update(posixpath.dirname(f.name) for f in (attachment.file, attachment.thumbnail) if f.name)
    for folder in folders:
        try:
            _, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        for name in files:
            with contextlib.suppress(OSError):
                storage.delete(posixpath.join(folder, name))
        with contextlib.suppress(OSError, NotImplementedError):
            os.rmdir(storage.path(folder))
