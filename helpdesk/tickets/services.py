"""Every change to a ticket goes through here: checks, the state machine, the audit trail, one transaction.

Services take the acting user and ask `access.py` themselves, so the web, the API and Telegram cannot
differ in what they allow. Rows are locked (`select_for_update`, a no-op on SQLite where IMMEDIATE
transactions already serialise writers) so that concurrent actions on one ticket never lose an update.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from helpdesk.accounts.access import is_admin, is_member_of, is_verified_operator
from helpdesk.accounts.models import ForumMembership, User
from helpdesk.categories.models import Category
from helpdesk.core.api import DomainError
from helpdesk.core.markdown import render_markdown
from helpdesk.core.pii import mask
from helpdesk.core.uploads import CheckedFile
from helpdesk.regions.codes import province_abbreviation

from . import access, events, lifecycle, routing, sla
from .models import (
    OPEN_STATUSES,
    Attachment,
    Channel,
    Hosting,
    Message,
    Priority,
    Rating,
    Status,
    Ticket,
    TicketCounter,
    TicketEvent,
    Visibility,
)

MAX_TEXT_BYTES = 64 * 1024
MAX_TITLE_CHARS = 200
AUTO_CLOSE_AFTER = timedelta(days=7)


# --- helpers ----------------------------------------------------------------------------------------------


def _check_text(field: str, text: str, *, required: bool = False) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationError({field: [_("Wajib diisi.")]})
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise ValidationError({field: [_("Terlalu panjang (maks. 64 KB).")]})
    return text


def _check_choice(field: str, value: str, choices: Iterable[str]) -> str:
    if value not in set(choices):
        raise ValidationError({field: [_("Nilai %(value)s tidak dikenal.") % {"value": value}]})
    return value


def _category(slug: str) -> Category:
    category = Category.objects.filter(slug=slug, is_active=True).first()
    if category is None:
        raise ValidationError({"category": [_("Kategori %(slug)s tidak dikenal.") % {"slug": slug}]})
    return category


def _event(ticket: Ticket, actor: User | None, action: str, *, old: str = "", new: str = "", note: str = "",
           channel: str = Channel.SYSTEM) -> None:
    TicketEvent.objects.create(
        ticket=ticket, actor=actor, action=action, old=str(old)[:200], new=str(new)[:200], note=note, channel=channel
    )


def _system_message(ticket: Ticket, text: str, actor: User | None = None) -> Message:
    return Message.objects.create(
        ticket=ticket, kind=Message.Kind.SYSTEM, author=actor, body=text, body_html=escape(text), source=Channel.SYSTEM
    )


def _locked(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock (its forum history is read again if a rule asks for it)."""
    return Ticket.objects.select_for_update(of=("self",)).select_related("category", "desa", "forum").get(pk=ticket.pk)


def _set_status(ticket: Ticket, action: str, actor: User | None, channel: str) -> str:
    old = ticket.status
    ticket.status = lifecycle.next_status(action, old)
    if ticket.status != old:
        _event(ticket, actor, "status", old=old, new=ticket.status, channel=channel)
    return old


TRACKED = ("status", "assignee_id", "priority", "category_id", "forum_id", "visibility", "accepted_message_id")


def _snapshot(ticket: Ticket) -> dict[str, Any]:
    return {field: getattr(ticket, field) for field in TRACKED}


def _emit_changes(ticket: Ticket, before: dict[str, Any], actor: User | None) -> None:
    changes = {f: (before[f], getattr(ticket, f)) for f in TRACKED if before[f] != getattr(ticket, f)}
    if changes:
        events.ticket_updated(ticket, changes, actor)


def _name(user: User | None) -> str:
    return user.display_name if user is not None else _("Sistem")


def next_number(desa_code: str) -> str:
    """`NTB-000123`: the next number of the desa's province, taken inside the caller's transaction.

    One UPSERT ... RETURNING: the row lock it takes is held to the end of the transaction, so numbers are
    unique and never reused by a rolled-back ticket's neighbour.
    """
    prefix = province_abbreviation(desa_code)
    table = TicketCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (prefix, value) VALUES (%s, 1) "  # noqa: S608 - fixed table name
            f"ON CONFLICT (prefix) DO UPDATE SET value = {table}.value + 1 RETURNING value",
            [prefix],
        )
        value = cursor.fetchone()[0]
    return f"{prefix}-{value:06d}"


# --- create ------------------------------------------------------------------------------------------------


def ticket_create(
    *,
    reporter: User,
    title: str,
    description: str = "",
    category: str,
    priority: str = Priority.NORMAL,
    opensid_version: str = "",
    hosting: str = Hosting.LAINNYA,
    visibility: str = Visibility.PRIVATE,
    channel: str = Channel.WEB,
) -> Ticket:
    if not is_verified_operator(reporter):
        raise PermissionDenied(_("Hanya operator desa yang sudah diverifikasi yang bisa membuat tiket."))
    title = _check_text("title", title, required=True)
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationError({"title": [_("Judul terlalu panjang (maks. 200 karakter).")]})
    description = _check_text("description", description)
    _check_choice("priority", priority, Priority.values)
    _check_choice("hosting", hosting, Hosting.values)
    _check_choice("visibility", visibility, Visibility.values)
    category_obj = _category(category)
    opensid_version = (opensid_version or "").strip()[:40]
    masked_kinds: list[str] = []
    if visibility == Visibility.PUBLIC:  # anyone may read it: personal data out first, whatever the entry point
        title, in_title = mask(title)
        title = title[:MAX_TITLE_CHARS]
        description, in_description = mask(description)
        masked_kinds = sorted(set(in_title) | set(in_description))

    with transaction.atomic():
        ticket = Ticket(
            title=title,
            description=description,
            description_html=render_markdown(description),
            category=category_obj,
            priority=priority,
            opensid_version=opensid_version,
            hosting=hosting,
            visibility=visibility,
            desa=reporter.desa,
            reporter=reporter,
        )
        decision = routing.route(ticket)
        ticket.forum = decision.forum
        ticket.assignee = decision.assignee
        ticket.status = Status.DITANGANI if decision.assignee else Status.BARU
        access.check_post(reporter, ticket, f"{title}\n{description}")
        ticket.number = next_number(ticket.desa_id)
        now = timezone.now()
        ticket.created_at = ticket.updated_at = now
        sla.apply_deadlines(ticket)
        ticket.save()
        audit = [
            TicketEvent(ticket=ticket, actor=reporter, action="created", new=ticket.number, channel=channel),
            TicketEvent(ticket=ticket, action="routed", new=ticket.forum.name[:200], note=decision.reason),
        ]
        if decision.assignee:
            audit.append(TicketEvent(ticket=ticket, action="assigned", new=decision.assignee.username,
                                      note=decision.reason))
        TicketEvent.objects.bulk_create(audit)
        ticket.previous_forum_ids = frozenset()  # a new ticket has not been escalated: no need to ask
        ticket.masked_kinds = masked_kinds  # type: ignore[attr-defined]
        events.ticket_created(ticket)
    return ticket


# --- messages ----------------------------------------------------------------------------------------------


def _reply_action(ticket: Ticket, author: User) -> str:
    if access.is_desa_side(author, ticket):
        return "operator_reply"
    if access.is_forum_volunteer(author, ticket) or is_admin(author):
        return "volunteer_reply"
    return "community_reply"


def message_create(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    internal: bool = False,
    channel: str = Channel.WEB,
) -> Message:
    body = _check_text("body", body, required=True)
    with transaction.atomic():
        ticket = _locked(ticket)
        if internal:
            if not access.can_add_internal_note(author, ticket):
                raise PermissionDenied(_("Catatan internal hanya untuk relawan forum."))
            action = "internal_note"
        else:
            if not access.can_reply(author, ticket):
                raise PermissionDenied(_("Anda tidak bisa membalas tiket ini."))
            access.check_post(author, ticket, body)
            action = _reply_action(ticket, author)
        before = _snapshot(ticket)
        now = timezone.now()
        by_volunteer = action == "volunteer_reply" and access.is_forum_volunteer(author, ticket)
        if by_volunteer and ticket.assignee_id is None and ticket.status in OPEN_STATUSES:
            # Answering an unclaimed ticket claims it: the operator should know who is helping.
            ticket.assignee = author
            _event(ticket, author, "claimed", new=author.username, note=_("dengan membalas"), channel=channel)
        _set_status(ticket, action, author, channel)
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
                _event(ticket, author, "first_response", channel=channel)
        ticket.updated_at = now
        ticket.save()
        events.message_created(ticket, message)
        _emit_changes(ticket, before, author)
    return message


# --- transitions -------------------------------------------------------------------------------------------


def ticket_claim(*, ticket: Ticket, actor: User, channel: str = Channel.WEB) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        before = _snapshot(ticket)
        if not access.is_forum_volunteer(actor, ticket):
            raise PermissionDenied(_("Hanya relawan forum ini yang bisa mengambil tiket."))
        if ticket.assignee_id == actor.pk:
            return ticket
        if ticket.assignee_id is not None:
            holder = User.objects.filter(pk=ticket.assignee_id).first()
            raise DomainError(_("Tiket sudah diambil %(name)s.") % {"name": _name(holder)}, code="already_claimed")
        _set_status(ticket, "claim", actor, channel)
        ticket.assignee = actor
        ticket.updated_at = timezone.now()
        ticket.save()
        _event(ticket, actor, "claimed", new=actor.username, channel=channel)
        _system_message(ticket, _("%(name)s menangani tiket ini.") % {"name": _name(actor)}, actor)
        _emit_changes(ticket, before, actor)
    return ticket


def ticket_resolve(
    *, ticket: Ticket, actor: User, message_id: int | None = None, channel: str = Channel.WEB
) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        before = _snapshot(ticket)
        if not access.can_resolve(actor, ticket):
            raise PermissionDenied(_("Anda tidak bisa menyelesaikan tiket ini."))
        accepted = None
        if message_id is not None:
            accepted = Message.objects.filter(pk=message_id, ticket=ticket, kind=Message.Kind.REPLY).first()
            if accepted is None:
                raise ValidationError({"message": [_("Jawaban itu bukan balasan publik pada tiket ini.")]})
        _set_status(ticket, "accept" if accepted is not None and ticket.is_public else "resolve", actor, channel)
        now = timezone.now()
        ticket.accepted_message = accepted
        ticket.resolved_at = ticket.updated_at = now
        ticket.save()
        _event(ticket, actor, "resolved", new=str(accepted.pk) if accepted else "", channel=channel)
        _system_message(ticket, _("%(name)s menandai masalah selesai.") % {"name": _name(actor)}, actor)
        _emit_changes(ticket, before, actor)
    return ticket


def ticket_close(*, ticket: Ticket, actor: User, channel: str = Channel.WEB) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        before = _snapshot(ticket)
        if not access.can_close(actor, ticket):
            if access.can_resolve(actor, ticket):  # the desa side, before the problem is solved
                raise lifecycle.IllegalTransition(_("Operator bisa menutup tiket setelah masalahnya selesai."))
            raise PermissionDenied(_("Anda tidak bisa menutup tiket ini."))
        _set_status(ticket, "close", actor, channel)
        ticket.closed_at = ticket.updated_at = timezone.now()
        ticket.save()
        _system_message(ticket, _("%(name)s menutup tiket ini.") % {"name": _name(actor)}, actor)
        _emit_changes(ticket, before, actor)
    return ticket


def ticket_reopen(*, ticket: Ticket, actor: User, channel: str = Channel.WEB) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        before = _snapshot(ticket)
        if not access.can_reopen(actor, ticket):
            raise PermissionDenied(_("Anda tidak bisa membuka kembali tiket ini."))
        _set_status(ticket, "reopen", actor, channel)
        ticket.closed_at = None
        ticket.resolved_at = None
        ticket.accepted_message = None
        ticket.updated_at = timezone.now()
        ticket.save()
        _system_message(ticket, _("%(name)s membuka kembali tiket ini.") % {"name": _name(actor)}, actor)
        _emit_changes(ticket, before, actor)
    return ticket


def ticket_mark_duplicate(*, ticket: Ticket, actor: User, of: Ticket, channel: str = Channel.WEB) -> Ticket:
    if of.pk == ticket.pk:
        raise ValidationError({"of": [_("Tiket tidak bisa menjadi duplikat dirinya sendiri.")]})
    with transaction.atomic():
        ticket = _locked(ticket)
        before = _snapshot(ticket)
        if not access.can_mark_duplicate(actor, ticket):
            raise PermissionDenied(_("Hanya relawan forum ini yang bisa menandai duplikat."))
        if of.duplicate_of_id == ticket.pk:
            raise ValidationError({"of": [_("Tiket tujuan adalah duplikat dari tiket ini.")]})
        _set_status(ticket, "duplicate", actor, channel)
        ticket.duplicate_of = of
        ticket.updated_at = timezone.now()
        ticket.save()
        _event(ticket, actor, "duplicate", new=of.number, channel=channel)
        _system_message(
            ticket,
            _("%(name)s menandai tiket ini sebagai duplikat dari %(number)s. Lanjutkan di tiket itu.")
            % {"name": _name(actor), "number": of.number},
            actor,
        )
        _emit_changes(ticket, before, actor)
    return ticket


UNSET: Any = object()


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
        ticket = _locked(ticket)
        before = _snapshot(ticket)
        if not access.can_triage(actor, ticket):
            raise PermissionDenied(_("Hanya relawan forum ini yang bisa mengubah tiket."))
        notes: list[str] = []
        if category is not None and category != ticket.category.slug:
            new_category = _category(category)
            _event(ticket, actor, "category", old=ticket.category.slug, new=new_category.slug, channel=channel)
            notes.append(_("kategori menjadi %(c)s") % {"c": new_category.name})
            ticket.category = new_category
        if priority is not None and priority != ticket.priority:
            _check_choice("priority", priority, Priority.values)
            _event(ticket, actor, "priority", old=ticket.priority, new=priority, channel=channel)
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
                _set_status(ticket, "claim", actor, channel)
            _event(ticket, actor, "assigned", old=old, new=assignee.username if assignee else "", channel=channel)
            notes.append(
                _("penanggung jawab menjadi %(n)s") % {"n": assignee.display_name}
                if assignee
                else _("penanggung jawab dilepas")
            )
        if notes:
            ticket.updated_at = timezone.now()
            ticket.save()
            _system_message(ticket, _("%(name)s mengubah %(what)s.") % {"name": _name(actor), "what": ", ".join(notes)}, actor)
        _emit_changes(ticket, before, actor)
    return ticket


def ticket_rate(*, ticket: Ticket, actor: User, score: int, comment: str = "") -> Rating:
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": [_("Nilai harus 1 sampai 5.")]})
    comment = _check_text("comment", comment)
    with transaction.atomic():
        ticket = _locked(ticket)
        if not access.can_rate(actor, ticket):
            if access.is_desa_side(actor, ticket) and ticket.status not in (Status.SELESAI, Status.DITUTUP):
                raise DomainError(_("Tiket bisa dinilai setelah selesai."), code="not_solved")
            raise PermissionDenied(_("Hanya desa pelapor yang bisa menilai bantuan ini."))
        rating, _created = Rating.objects.update_or_create(
            ticket=ticket,
            defaults={"score": score, "comment": comment, "rated_by": actor, "volunteer_id": ticket.assignee_id,
                      "at": timezone.now()},
        )
        _event(ticket, actor, "rated", new=str(score))
    return rating


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
        ticket = _locked(ticket)
        target = _locked(into)
        if not (access.can_triage(actor, ticket) and access.can_triage(actor, target)):
            raise PermissionDenied(_("Hanya relawan forum kedua tiket yang bisa menggabungkan."))
        if not target.is_open and target.status != Status.SELESAI:
            raise lifecycle.IllegalTransition(_("Tiket tujuan sudah ditutup; buka kembali dulu."))
        before, target_before = _snapshot(ticket), _snapshot(target)
        _set_status(ticket, "duplicate", actor, channel)
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
        _event(ticket, actor, "merged", new=target.number, channel=channel)
        _event(target, actor, "merged_from", new=ticket.number, note=ticket.title[:200], channel=channel)
        _system_message(ticket, _("%(name)s menggabungkan tiket ini ke %(number)s.") % {
            "name": _name(actor), "number": target.number}, actor)
        _system_message(target, _("Tiket %(number)s (%(title)s) digabung ke sini oleh %(name)s.") % {
            "number": ticket.number, "title": ticket.title, "name": _name(actor)}, actor)
        _emit_changes(ticket, before, actor)
        _emit_changes(target, target_before, actor)
    return target


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
        except (PermissionDenied, DomainError, ValidationError, Http404) as exc:
            detail = getattr(exc, "detail", None) or " ".join(getattr(exc, "messages", [])) or _("tidak ditemukan")
            results[ticket_id] = str(detail)
    return results


# --- attachments -------------------------------------------------------------------------------------------


def attachment_add(
    *, ticket: Ticket, actor: User, checked: CheckedFile, message: Message | None = None
) -> Attachment:
    if message is not None and message.ticket_id != ticket.pk:
        raise ValidationError({"message": [_("Pesan itu bukan milik tiket ini.")]})
    internal = message is not None and message.kind == Message.Kind.INTERNAL
    allowed = access.can_add_internal_note(actor, ticket) if internal else access.can_reply(actor, ticket)
    if not allowed:
        raise PermissionDenied(_("Anda tidak bisa melampirkan file pada tiket ini."))
    token = secrets.token_hex(16)
    with transaction.atomic():
        attachment = Attachment(
            ticket=ticket,
            message=message,
            uploaded_by=actor,
            token=token,
            name=checked.name,
            size=checked.size,
            content_type=checked.content_type,
            sha256=checked.sha256,
        )
        attachment.file.save(checked.name, ContentFile(checked.content), save=False)
        if checked.thumbnail:
            attachment.thumbnail.save("thumb.jpg", ContentFile(checked.thumbnail), save=False)
        attachment.save()
        _event(ticket, actor, "attachment", new=checked.name)
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    return attachment


# --- housekeeping ------------------------------------------------------------------------------------------


def release_tickets_of(membership: ForumMembership) -> int:
    """A deactivated volunteer's open tickets in that forum go back to the queue."""
    released = 0
    for ticket in Ticket.objects.filter(
        forum_id=membership.forum_id, assignee_id=membership.user_id, status__in=OPEN_STATUSES
    ):
        with transaction.atomic():
            locked = _locked(ticket)
            before = _snapshot(locked)
            locked.assignee = None
            if locked.status == Status.DITANGANI:
                _event(locked, None, "status", old=locked.status, new=Status.BARU)
                locked.status = Status.BARU
            locked.updated_at = timezone.now()
            locked.save()
            _event(locked, None, "unassigned", old=membership.user.username, note=_("relawan dinonaktifkan"))
            _system_message(locked, _("Relawan tidak aktif lagi; tiket kembali ke antrean forum."))
            _emit_changes(locked, before, None)
            released += 1
    return released


def auto_close_solved() -> int:
    """`selesai` becomes `ditutup` after seven days without a reply."""
    cutoff = timezone.now() - AUTO_CLOSE_AFTER
    closed = 0
    for ticket in Ticket.objects.filter(status=Status.SELESAI, updated_at__lte=cutoff).only("pk"):
        with transaction.atomic():
            locked = _locked(ticket)
            if locked.status != Status.SELESAI or locked.updated_at > cutoff:
                continue
            before = _snapshot(locked)
            _set_status(locked, "auto_close", None, Channel.SYSTEM)
            locked.closed_at = timezone.now()
            locked.save()
            _system_message(locked, _("Tiket ditutup otomatis: tujuh hari tanpa balasan setelah selesai."))
            _emit_changes(locked, before, None)
            closed += 1
    return closed
