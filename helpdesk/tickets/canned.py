"""Canned replies: placeholders are checked when saved and filled when used."""

from __future__ import annotations

import string
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from helpdesk.accounts.access import can_manage_forum, forums_of, is_admin, is_member_of
from helpdesk.accounts.models import Forum, User

from .models import CannedReply, Ticket

PLACEHOLDERS = {
    "nama_operator": "the reporter's name",
    "nama_desa": "the desa's name",
    "nomor_tiket": "the ticket number",
    "judul_tiket": "the ticket title",
    "nama_relawan": "the volunteer's name",
    "forum": "the forum's name",
}


def placeholders_in(body: str) -> set[str]:
    try:
        return {name for _text, name, _spec, _conv in string.Formatter().parse(body) if name is not None}
    except ValueError:
        raise ValidationError({"body": [_("Kurung kurawal tidak seimbang. Tulis {{ atau }} untuk kurung biasa.")]}) from None


def validate_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Wajib diisi.")]})
    unknown = placeholders_in(body) - set(PLACEHOLDERS)
    if unknown:
        raise ValidationError({"body": [
            _("Penanda tidak dikenal: %(names)s. Yang tersedia: %(known)s.")
            % {"names": ", ".join(sorted("{" + n + "}" for n in unknown)),
               "known": ", ".join("{" + n + "}" for n in PLACEHOLDERS)}
        ]})
    return body


def canned_create(*, actor: User, forum: Forum | None, title: str, body: str) -> CannedReply:
    if forum is None and not is_admin(actor):
        raise PermissionDenied(_("Hanya admin yang bisa membuat balasan untuk semua forum."))
    if forum is not None and not (can_manage_forum(actor, forum) or is_member_of(actor, forum)):
        raise PermissionDenied(_("Anda bukan anggota forum ini."))
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": [_("Wajib diisi.")]})
    return CannedReply.objects.create(forum=forum, title=title[:120], body=validate_body(body), created_by=actor)


def canned_for(user: User, forum_id: int | None = None) -> QuerySet[CannedReply]:
    forum_ids = forums_of(user) if forum_id is None else {forum_id} & forums_of(user)
    if is_admin(user) and forum_id is not None:
        forum_ids = {forum_id}
    return CannedReply.objects.filter(Q(forum__isnull=True) | Q(forum_id__in=forum_ids)).order_by("title")


def fill(text: str, ticket: Ticket, volunteer: User) -> str:
    """Fill the placeholders of `text` (a canned reply, possibly edited) for this ticket."""
    validate_body(text)
    values: dict[str, Any] = {
        "nama_operator": ticket.reporter.display_name,
        "nama_desa": ticket.desa.name,
        "nomor_tiket": ticket.number,
        "judul_tiket": ticket.title,
        "nama_relawan": volunteer.display_name,
        "forum": ticket.forum.name,
    }
    return text.format_map(values)


def use(reply_id: int, ticket: Ticket, volunteer: User, edited: str = "") -> str:
    """The filled-in text of a canned reply the volunteer may use on this ticket (or of their edit of it)."""
    reply = canned_for(volunteer, ticket.forum_id).filter(pk=reply_id).first()
    if reply is None:
        raise ValidationError({"canned": [_("Balasan siap pakai tidak ditemukan.")]})
    text = fill(edited if edited.strip() else reply.body, ticket, volunteer)
    with transaction.atomic():
        CannedReply.objects.filter(pk=reply.pk).update(usage_count=F("usage_count") + 1)
    return text


def _check_manager(actor: User, reply: CannedReply) -> None:
    if reply.forum_id is None and not is_admin(actor):
        raise PermissionDenied(_("Hanya admin yang bisa mengubah balasan untuk semua forum."))
    if reply.forum_id is not None and not can_manage_forum(actor, reply.forum_id):
        raise PermissionDenied(_("Hanya koordinator forum ini yang bisa mengubah balasannya."))


def canned_update(*, actor: User, reply: CannedReply, title: str, body: str) -> CannedReply:
    _check_manager(actor, reply)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": [_("Wajib diisi.")]})
    reply.title, reply.body = title[:120], validate_body(body)
    reply.save(update_fields=["title", "body"])
    return reply


def canned_delete(*, actor: User, reply: CannedReply) -> None:
    _check_manager(actor, reply)
    reply.delete()


def team_canned(forum_id: int) -> QuerySet[CannedReply]:
    """A team's own canned replies, for its coordinators' page."""
    return CannedReply.objects.filter(forum_id=forum_id).order_by("title")


def shared_canned() -> QuerySet[CannedReply]:
    """The replies every team's volunteers also see (no forum: the admin's), shown read-only to coordinators."""
    return CannedReply.objects.filter(forum__isnull=True).order_by("title")
