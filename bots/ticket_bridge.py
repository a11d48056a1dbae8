"""Tickets in the forums' Telegram groups: a topic (forum supergroup) or a root message (plain group) per
ticket, updates posted there, and what volunteers do there (replies, files, /catatan, /selesai, /tiket,
/antrian, the "Saya tangani" button) turned into service calls.

The ticket services call `events` inside their transaction; the listener here (registered in ticket_hooks.py)
only queues outbox jobs, so nothing is posted for a change that rolls back, and the jobs (after commit) see the
ticket with its attachments. The jobs queue the Telegram requests (bots.outbound), which the sender delivers in order.

Every bot message about a ticket carries the subject `ticket:<id>` (or `ticket:<id>:m<message id>` when it
relays one ticket message), so a reply to any of them is traced back to the ticket.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.accounts.access import is_member_of
from helpdesk.accounts.models import Forum, User
from helpdesk.core import outbox
from helpdesk.core.api import DomainError
from helpdesk.core.models import OutboxJob
from helpdesk.core.pii import mask
from helpdesk.regions.codes import parent_code, timezone_of
from helpdesk.regions.models import Region
from helpdesk.tickets import access, selectors, services
from helpdesk.tickets.models import Attachment, Channel, Message, Status, Ticket

from . import chats, config
from .handlers import Context, UsageError, callback_handler, command, message_handler
from .linking import hold_unlinked, linked_user
from .models import OutboundMessage
from .outbound import (
    Buttons,
    MessageRef,
    TopicRef,
    button,
    outbound_by_message,
    telegram_close_topic,
    telegram_edit_text,
    telegram_edit_topic,
    telegram_reopen_topic,
    telegram_send,
)
from .text import escape
from .ticket_models import TicketChatMessage, TicketThread

log = logging.getLogger(__name__)

POST_KIND = "telegram.ticket_post"
MESSAGE_KIND = "telegram.ticket_message"
CHANGED_KIND = "telegram.ticket_changed"
FILE_KIND = "telegram.ticket_file"

# The chat a Telegram action came from: its own message is already there, so it is not echoed back.
_origin_chat: contextvars.ContextVar[int | None] = contextvars.ContextVar("telegram_origin_chat", default=None)

T = TypeVar("T")


@contextmanager
def from_chat(chat_id: int) -> Iterator[None]:
    token = _origin_chat.set(chat_id)
    try:
        yield
    finally:
        _origin_chat.reset(token)


def subject_of(ticket_id: int, message_id: int | None = None) -> str:
    return f"ticket:{ticket_id}" + (f":m{message_id}" if message_id else "")


def parse_subject(subject: str) -> tuple[int | None, int | None]:
    parts = subject.split(":")
    if len(parts) < 2 or parts[0] != "ticket" or not parts[1].isdigit():
        return None, None
    message_id = int(parts[2][1:]) if len(parts) > 2 and parts[2][1:].isdigit() else None
    return int(parts[1]), message_id


def ticket_url(ticket: Ticket) -> str:
    return f"{settings.SITE_URL}{ticket.get_absolute_url()}"


# ----- what a ticket looks like in Telegram ------------------------------------------------------------------
def _local(value: Any, ticket: Ticket) -> str:
    if value is None:
        return "-"
    from zoneinfo import ZoneInfo

    zone = timezone_of(ticket.desa_id)
    label = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}.get(zone, zone)
    return f"{value.astimezone(ZoneInfo(zone)):%d-%m-%Y %H:%M} {label}"


def masked(text: str) -> str:
    """What a forum's group may read of a private ticket: NIK, KK and phone numbers masked (issue 16). The
    group is wider than the ticket's audience (anyone an admin adds); the web page shows the full text."""
    return mask(text)[0]


def card(ticket: Ticket) -> str:
    """The ticket message: title, desa and kecamatan, category, version, priority, SLA due, state, link."""
    kecamatan_code = parent_code(ticket.desa_id) or ""
    kecamatan = Region.objects.filter(code=kecamatan_code).values_list("name", flat=True).first() or "-"
    if ticket.assignee_id:
        assignee = User.objects.filter(pk=ticket.assignee_id).first()
        state = _("%(status)s · %(name)s") % {"status": ticket.get_status_display(),
                                                "name": assignee.display_name if assignee else "-"}
    else:
        state = str(ticket.get_status_display())
    due = ticket.first_response_due if ticket.first_response_at is None else ticket.resolution_due
    lines = [
        f"<b>#{escape(ticket.number)}</b> {escape(masked(ticket.title))}",
        _("Desa: %(desa)s, Kec. %(kec)s") % {"desa": escape(ticket.desa.name), "kec": escape(kecamatan)},
        _("Kategori: %(c)s") % {"c": escape(ticket.category.name)},
        _("Versi OpenSID: %(v)s") % {"v": escape(ticket.opensid_version or "-")},
        _("Prioritas: %(p)s") % {"p": ticket.get_priority_display()},
        _("Batas waktu: %(due)s") % {"due": _local(due, ticket)} if ticket.is_open else "",
        _("Status: %(s)s") % {"s": escape(state)},
        ticket_url(ticket),
    ]
    return "\n".join(line for line in lines if line)


def card_buttons(ticket: Ticket) -> Buttons:
    row = [button(_("Buka di web"), url=ticket_url(ticket))]
    if ticket.is_open and ticket.assignee_id is None:
        row.insert(0, button(_("Saya tangani"), callback_data=f"claim:{ticket.pk}"))
    return [row]


def topic_name(ticket: Ticket) -> str:
    mark = "✅ " if ticket.status in (Status.SELESAI, Status.DITUTUP, Status.DUPLIKAT) else ""
    return f"{mark}#{ticket.number} {masked(ticket.title)}"[:128]


def _where(thread: TicketThread) -> dict[str, Any]:
    """Where a message about the ticket goes in this chat: into the topic, or as a reply to the root message."""
    if thread.is_topic:
        return {"thread_id": TopicRef(thread.topic_key)}
    return {"reply_to": MessageRef(thread.root_key)}


def _chat_for(forum: Forum | None) -> int | None:
    if forum is None or not forum.telegram_chat_id or not forum.is_active:
        return None
    return chats.resolve_chat_id(forum.telegram_chat_id)


# ----- the listener (inside the service's transaction: queue jobs only) --------------------------------------
def on_ticket_event(kind: str, ticket: Ticket, **details: Any) -> None:
    if not config.enabled():
        return
    order = f"tgticket:{ticket.pk}"
    has_threads = TicketThread.objects.filter(ticket_id=ticket.pk).exists()
    stamp = f"{timezone.now().timestamp()}"
    if kind == "ticket_created":
        if _chat_for(ticket.forum):
            outbox.enqueue(POST_KIND, {"ticket": ticket.pk, "forum": ticket.forum_id},
                           key=f"{POST_KIND}:{ticket.pk}:{ticket.forum_id}", ordering_key=order)
    elif kind == "message_created" and has_threads:
        message: Message = details["message"]
        if message.kind != Message.Kind.REPLY:
            return  # internal notes stay on the web; system messages come with ticket_updated
        outbox.enqueue(MESSAGE_KIND, {"message": message.pk, "skip_chat": _origin_chat.get()},
                       key=f"{MESSAGE_KIND}:{message.pk}", ordering_key=order)
    elif kind == "ticket_updated":
        changes = {k: [_plain(v[0]), _plain(v[1])] for k, v in details["changes"].items()}
        if not has_threads and "forum_id" not in changes:
            return
        actor = details.get("actor")
        outbox.enqueue(CHANGED_KIND, {"ticket": ticket.pk, "changes": changes,
                                      "actor": getattr(actor, "pk", None)},
                       key=f"{CHANGED_KIND}:{ticket.pk}:{stamp}:{sorted(changes)}", ordering_key=order)


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, int | str | bool) else str(value)


def _load(ticket_id: int) -> Ticket | None:
    return Ticket.objects.select_related("category", "desa", "forum").filter(pk=ticket_id).first()


# ----- jobs (after commit) --------------------------------------------------------------------------------------
def open_thread(ticket: Ticket, chat_id: int, *, note: str = "") -> TicketThread | None:
    """Post the ticket into a group (once): a topic with the ticket message in it, or one root message."""
    existing = TicketThread.objects.filter(ticket=ticket, chat_id=chat_id).first()
    if existing is not None:
        return existing
    if chats.chat_is_removed(chat_id):
        return None
    status = chats.chat_status(chat_id)
    is_topic = bool(status and status.is_forum and status.can_manage_topics is not False)
    base = f"tk:{ticket.pk}:{chat_id}"
    subject = subject_of(ticket.pk)
    topic_key = ""
    where: dict[str, Any] = {}
    if is_topic:
        from .outbound import telegram_create_topic

        topic = telegram_create_topic(chat_id=chat_id, name=topic_name(ticket), purpose_key=f"{base}:topic",
                                      subject=subject)
        topic_key = topic.key
        where = {"thread_id": topic}
    text = card(ticket) + (f"\n\n<i>{escape(note)}</i>" if note else "")
    root = telegram_send(chat_id=chat_id, text=text, purpose_key=f"{base}:root", buttons=card_buttons(ticket),
                         subject=subject, **where)
    thread = TicketThread.objects.create(ticket=ticket, chat_id=chat_id, is_topic=is_topic, topic_key=topic_key,
                                         root_key=root.key)
    if ticket.description.strip():
        telegram_send(chat_id=chat_id, text=escape(masked(ticket.description)[:3500]), purpose_key=f"{base}:desc",
                      subject=subject, **_where(thread))
    for attachment in Attachment.objects.filter(ticket=ticket, message__isnull=True).order_by("pk"):
        _send_file(thread, attachment, f"{base}:att:{attachment.pk}", subject)
    return thread


def _send_file(thread: TicketThread, attachment: Attachment, key: str, subject: str) -> None:
    kind = "photo" if attachment.is_image and attachment.size <= 10 * 1024 * 1024 else "document"
    telegram_send(chat_id=thread.chat_id, text=escape(masked(attachment.name)), purpose_key=key, subject=subject,
                  **{kind: attachment.file.name}, **_where(thread))


@outbox.handler(POST_KIND)
def post_job(payload: dict[str, Any], job: OutboxJob) -> None:
    ticket = _load(int(payload["ticket"]))
    forum = Forum.objects.filter(pk=payload["forum"]).first()
    chat_id = _chat_for(forum)
    if ticket is None or chat_id is None:
        return
    open_thread(ticket, chat_id, note=str(payload.get("note", "")))


def _role(ticket: Ticket, user: User | None) -> str:
    if user is None:
        return ""
    if access.is_desa_side(user, ticket):
        return _("operator desa")
    if access.is_forum_volunteer(user, ticket):
        return _("relawan")
    return ""


@outbox.handler(MESSAGE_KIND)
def message_job(payload: dict[str, Any], job: OutboxJob) -> None:
    message = Message.objects.select_related("ticket", "ticket__desa", "author").filter(pk=payload["message"]).first()
    if message is None or message.kind != Message.Kind.REPLY:
        return
    ticket = message.ticket
    name = message.author.display_name if message.author else _("Sistem")
    role = _role(ticket, message.author)
    head = f"💬 <b>{escape(masked(name))}</b>" + (f" ({escape(role)})" if role else "")
    text = f"{head}:\n{escape(masked(message.body)[:3500])}"
    subject = subject_of(ticket.pk, message.pk)
    for thread in TicketThread.objects.filter(ticket=ticket).exclude(chat_id=payload.get("skip_chat") or 0):
        base = f"tk:{ticket.pk}:{thread.chat_id}:msg:{message.pk}"
        telegram_send(chat_id=thread.chat_id, text=text, purpose_key=base, subject=subject, **_where(thread))
        for attachment in Attachment.objects.filter(message=message).order_by("pk"):
            _send_file(thread, attachment, f"{base}:att:{attachment.pk}", subject)


def _change_lines(ticket: Ticket, changes: dict[str, list[Any]], actor: User | None) -> list[str]:
    who = escape(actor.display_name) if actor else _("Sistem")
    lines: list[str] = []
    if "assignee_id" in changes:
        new = User.objects.filter(pk=changes["assignee_id"][1]).first() if changes["assignee_id"][1] else None
        lines.append(_("🙋 %(name)s menangani tiket ini.") % {"name": escape(new.display_name)} if new
                     else _("↩️ Tiket kembali ke antrean forum."))
    if "status" in changes:
        old, new_status = changes["status"]
        if new_status in (Status.SELESAI, Status.DITUTUP, Status.DUPLIKAT) or old in (Status.SELESAI, Status.DITUTUP):
            lines.append(_("📌 %(who)s: status menjadi %(s)s.") % {"who": who, "s": Status(new_status).label})
    if "priority" in changes:
        lines.append(_("⚡ Prioritas menjadi %(p)s.") % {"p": ticket.get_priority_display()})
    if "forum_id" in changes:
        lines.append(_("⏫ Tiket dieskalasi ke %(f)s.") % {"f": escape(ticket.forum.name)})
    return lines


@outbox.handler(CHANGED_KIND)
def changed_job(payload: dict[str, Any], job: OutboxJob) -> None:
    ticket = _load(int(payload["ticket"]))
    if ticket is None:
        return
    changes: dict[str, list[Any]] = payload["changes"]
    actor_id = payload.get("actor")
    actor = User.objects.filter(pk=int(actor_id)).first() if actor_id else None
    lines = _change_lines(ticket, changes, actor)
    subject = subject_of(ticket.pk)
    closed = ticket.status in (Status.SELESAI, Status.DITUTUP, Status.DUPLIKAT)
    for thread in TicketThread.objects.filter(ticket=ticket):
        base = f"tk:{ticket.pk}:{thread.chat_id}:chg:{job.pk}"
        if lines:
            telegram_send(chat_id=thread.chat_id, text="\n".join(lines), purpose_key=f"{base}:note",
                          subject=subject, **_where(thread))
        telegram_edit_text(chat_id=thread.chat_id, message=MessageRef(thread.root_key), text=card(ticket),
                           buttons=card_buttons(ticket), purpose_key=f"{base}:edit", subject=subject)
        if thread.is_topic and "status" in changes:
            topic = TopicRef(thread.topic_key)
            telegram_edit_topic(chat_id=thread.chat_id, topic=topic, name=topic_name(ticket),
                                purpose_key=f"{base}:rename")
            if closed and not thread.closed:
                telegram_close_topic(chat_id=thread.chat_id, topic=topic, purpose_key=f"{base}:close")
            elif not closed and thread.closed:
                telegram_reopen_topic(chat_id=thread.chat_id, topic=topic, purpose_key=f"{base}:reopen")
        if thread.closed != closed:
            TicketThread.objects.filter(pk=thread.pk).update(closed=closed)
    if "forum_id" in changes:
        chat_id = _chat_for(ticket.forum)
        if chat_id is not None:
            open_thread(ticket, chat_id, note=_("Dieskalasi dari forum lain."))


def post_notice(ticket_id: int, text: str, key: str) -> None:
    """A line in every thread of the ticket (SLA warnings and breaches, from the notification hook)."""
    for thread in TicketThread.objects.filter(ticket_id=ticket_id):
        telegram_send(chat_id=thread.chat_id, text=text, purpose_key=f"{key}:{thread.chat_id}",
                      subject=subject_of(ticket_id), **_where(thread))


# ----- from Telegram to the services ---------------------------------------------------------------------------
REFUSALS = (PermissionDenied, DomainError, ValidationError, Http404)


def refusal_text(exc: Exception) -> str:
    if isinstance(exc, Http404):
        return _("Tiket tidak ditemukan, atau Anda tidak boleh melihatnya.")
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, DomainError):
        return str(exc.detail)
    return str(exc) or _("Anda tidak boleh melakukan ini.")


def act(fn: Callable[[], T]) -> T:
    """Run a service call; a refusal becomes a short answer (UsageError) instead of an error."""
    try:
        return fn()
    except REFUSALS as exc:
        raise UsageError(refusal_text(exc)) from exc


def ticket_in_chat(ctx: Context) -> Ticket | None:
    """The ticket a group message belongs to: its topic, or the bot message (or ticket reply) it answers."""
    ticket_id: int | None = None
    if ctx.thread_id is not None:
        subject = (
            OutboundMessage.objects.filter(chat_id=ctx.chat_id, kind=OutboundMessage.Kind.TOPIC_CREATE,
                                           result_thread_id=ctx.thread_id)
            .values_list("subject", flat=True).first()
        )
        ticket_id, _m = parse_subject(subject or "")
    reply = ctx.message.reply_to_message if ctx.message is not None else None
    if ticket_id is None and reply is not None:
        ticket_id, _m = replied_ticket(ctx.chat_id, reply.message_id)
    return _load(ticket_id) if ticket_id else None


def replied_ticket(chat_id: int, message_id: int) -> tuple[int | None, int | None]:
    """(ticket id, ticket message id) of the message that a Telegram message replies to, if it is one of ours."""
    sent = outbound_by_message(chat_id, message_id)
    if sent is not None and sent.subject:
        return parse_subject(sent.subject)
    mapped = TicketChatMessage.objects.filter(chat_id=chat_id, message_id=message_id).first()
    if mapped is not None:
        return mapped.ticket_id, mapped.ticket_message_id
    return None, None


def acting_user(ctx: Context) -> User:
    """The linked account of the sender; an unlinked sender's update is held until they link."""
    user = linked_user(ctx.user.id if ctx.user else None)
    if user is None:
        hold_unlinked(ctx)
    assert user is not None
    return user


def file_of(ctx: Context) -> tuple[str, str, int | None] | None:
    message = ctx.message
    if message is None:
        return None
    if message.photo:
        photo = message.photo[-1]
        return photo.file_id, f"telegram-{photo.file_unique_id}.jpg", photo.file_size
    if message.document:
        doc = message.document
        return doc.file_id, doc.file_name or f"berkas-{doc.file_unique_id}", doc.file_size
    return None


def reply_from_telegram(ctx: Context, ticket: Ticket, user: User, *, internal: bool = False,
                        body: str | None = None) -> Message:
    """A Telegram message (text, photo, document) becomes a ticket message; its file is fetched by a job."""
    message = ctx.message
    text = body if body is not None else ((message.text or message.caption or "") if message else "")
    return add_from_telegram(ticket=ticket, user=user, text=text, file=file_of(ctx), chat_id=ctx.chat_id,
                             message_id=message.message_id if message else None, internal=internal,
                             thread_id=ctx.thread_id, quote=not ctx.is_private)


def add_from_telegram(*, ticket: Ticket, user: User, text: str, file: tuple[str, str, int | None] | None,
                      chat_id: int, message_id: int | None, internal: bool = False, thread_id: int | None = None,
                      quote: bool = True) -> Message:
    if not text.strip() and file is not None:
        text = _("📎 %(name)s") % {"name": file[1]}
    with from_chat(chat_id):
        created = act(lambda: services.message_create(ticket=ticket, author=user, body=text, internal=internal,
                                                      channel=Channel.TELEGRAM))
    if message_id is not None:
        TicketChatMessage.objects.get_or_create(chat_id=chat_id, message_id=message_id,
                                                defaults={"ticket": ticket, "ticket_message": created})
    if file is not None:
        outbox.enqueue(FILE_KIND, {"file_id": file[0], "name": file[1], "size": file[2], "ticket": ticket.pk,
                                   "message": created.pk, "user": user.pk, "chat_id": chat_id,
                                   "reply_to": message_id if quote else None, "thread_id": thread_id},
                       key=f"{FILE_KIND}:{chat_id}:{message_id or created.pk}")
    return created


@outbox.handler(FILE_KIND, atomic=False, max_attempts=5)
def file_job(payload: dict[str, Any], job: OutboxJob) -> None:
    """Download a file posted in Telegram (outside any transaction), check it, attach it to the ticket."""
    import io

    from helpdesk.core.uploads import UploadRejected, check_upload

    from .files import FileTooBig, download

    def tell(text: str) -> None:
        telegram_send(chat_id=int(payload["chat_id"]), text=escape(text), reply_to=payload.get("reply_to"),
                      thread_id=payload.get("thread_id"), purpose_key=f"{FILE_KIND}:{job.pk}:refused")

    try:
        got = download(str(payload["file_id"]))
    except FileTooBig:
        with transaction.atomic():
            tell(_("Berkas lebih dari 20 MB; bot tidak bisa mengambilnya. Unggah lewat web."))
        return
    try:
        checked = check_upload(str(payload["name"]), io.BytesIO(got.content), declared_size=len(got.content))
    except UploadRejected as exc:
        with transaction.atomic():
            tell(str(exc))
        return
    with transaction.atomic():
        ticket = Ticket.objects.filter(pk=payload["ticket"]).first()
        user = User.objects.filter(pk=payload["user"]).first()
        message = Message.objects.filter(pk=payload["message"]).first()
        if ticket is None or user is None:
            return
        try:
            services.attachment_add(ticket=ticket, actor=user, checked=checked, message=message)
        except REFUSALS as exc:
            tell(refusal_text(exc))


@message_handler("ticket-group", chats="group", order=50)
def group_message(ctx: Context) -> bool:
    if ctx.message is None or not (ctx.message.text or ctx.message.caption or file_of(ctx)):
        return False
    ticket = ticket_in_chat(ctx)
    if ticket is None:
        return False
    user = acting_user(ctx)
    reply_from_telegram(ctx, ticket, user)
    return True


def _ticket_from_context(ctx: Context) -> Ticket:
    ticket = ticket_in_chat(ctx)
    if ticket is None:
        raise UsageError(_("Kirim perintah ini di topik tiket, atau sebagai balasan pada pesan tiket."))
    return ticket


@command("catatan", help=gettext_lazy("catatan internal pada tiket: /catatan <teks>"), chats="group")
def catatan(ctx: Context) -> None:
    ticket = _ticket_from_context(ctx)
    if not ctx.arg_text.strip():
        raise UsageError(_("Pakai: /catatan <teks>, di topik tiket atau sebagai balasan pada pesan tiket."))
    user = acting_user(ctx)
    reply_from_telegram(ctx, ticket, user, internal=True, body=ctx.arg_text)
    ctx.reply(_("Catatan internal disimpan pada %(n)s.") % {"n": ticket.number})


@command("selesai", help=gettext_lazy("menyelesaikan tiket: /selesai [jawaban]"), chats="group")
def selesai(ctx: Context) -> None:
    ticket = _ticket_from_context(ctx)
    user = acting_user(ctx)
    accepted: int | None = None
    if ctx.arg_text.strip():
        accepted = reply_from_telegram(ctx, ticket, user, body=ctx.arg_text).pk
    else:
        reply = ctx.message.reply_to_message if ctx.message else None
        if reply is not None:
            ticket_id, message_id = replied_ticket(ctx.chat_id, reply.message_id)
            if ticket_id == ticket.pk and message_id and Message.objects.filter(
                    pk=message_id, kind=Message.Kind.REPLY).exists():
                accepted = message_id
    with from_chat(ctx.chat_id):
        act(lambda: services.ticket_resolve(ticket=ticket, actor=user, message_id=accepted, channel=Channel.TELEGRAM))
    ctx.reply(_("✅ Tiket %(n)s diselesaikan.") % {"n": ticket.number})


def summary(ticket: Ticket) -> str:
    lines = [card(ticket)]
    last = selectors.latest_public_reply(ticket.pk)
    if last is not None:
        name = last.author.display_name if last.author else _("Sistem")
        lines.append(_("Balasan terakhir (%(name)s): %(body)s") % {"name": escape(name),
                                                                    "body": escape(last.body[:300])})
    return "\n\n".join(lines)


def open_tickets_text(user: User) -> str:
    tickets = selectors.own_open_tickets(user, limit=10)
    if not tickets:
        return _("Tidak ada tiket terbuka.")
    lines = [_("<b>Tiket terbuka Anda</b>")]
    lines += [f"#{escape(t.number)} {escape(t.title)} — {t.get_status_display()}" for t in tickets]
    lines.append(escape(_("Ketik /status <nomor> untuk rinciannya.")))
    return "\n".join(lines)


@command("tiket", help=gettext_lazy("ringkasan tiket: /tiket <nomor> (tanpa nomor: tiket terbuka Anda)"))
def tiket(ctx: Context) -> None:
    user = linked_user(ctx.user.id if ctx.user else None)
    if not ctx.args:
        if ctx.is_private and user is not None:
            ctx.reply(open_tickets_text(user))
            return
        raise UsageError(_("Pakai: /tiket <nomor>, misalnya /tiket NTB-000123."))
    if user is None:
        raise UsageError(_("Tautkan akun Telegram Anda dulu dari halaman profil di %(site)s.")
                         % {"site": settings.SITE_URL})
    show_ticket(ctx, user, ctx.args[0])


def show_ticket(ctx: Context, user: User, number: str) -> None:
    """/tiket <nomor>, and /status <nomor> in the private chat: the ticket's card and its last public reply."""
    ticket = act(lambda: access.access_ticket(user, number.lstrip("#"), by_number=True))
    ctx.reply(summary(ticket), subject=subject_of(ticket.pk))


@command("antrian", help=gettext_lazy("tiket forum yang belum diambil, yang terlama dulu"), chats="group")
def antrian(ctx: Context) -> None:
    forum = Forum.objects.filter(telegram_chat_id=ctx.chat_id).first()
    user = linked_user(ctx.user.id if ctx.user else None)
    if forum is None:
        raise UsageError(_("Grup ini belum terhubung ke forum."))
    if user is None or not is_member_of(user, forum):
        raise UsageError(_("Antrean hanya untuk relawan forum ini yang sudah menautkan akun Telegram."))
    tickets = selectors.unclaimed_tickets(forum.pk, limit=15)
    if not tickets:
        ctx.reply(_("Antrean kosong. Terima kasih! 🎉"))
        return
    lines = [_("<b>Antrean %(f)s</b> (belum diambil, terlama dulu)") % {"f": escape(forum.name)}]
    lines += [f"#{escape(t.number)} {escape(t.title)} · {_local(t.created_at, t)}" for t in tickets]
    ctx.reply("\n".join(lines))


@callback_handler("claim")
def claim_button(ctx: Context) -> None:
    data = ctx.callback.data if ctx.callback else ""
    raw_id = (data or "").split(":", 1)[-1]
    if not raw_id.isdigit():
        raise UsageError(_("Tombol ini sudah tidak berlaku."))
    user = acting_user(ctx)
    ticket = act(lambda: access.access_ticket(user, int(raw_id)))
    with from_chat(ctx.chat_id):
        try:
            services.ticket_claim(ticket=ticket, actor=user, channel=Channel.TELEGRAM)
        except DomainError as exc:
            ctx.answer_callback(str(exc.detail), show_alert=True)
            return
        except REFUSALS as exc:
            raise UsageError(refusal_text(exc)) from exc
    ctx.answer_callback(_("Tiket %(n)s Anda tangani.") % {"n": ticket.number})
