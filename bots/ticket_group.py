"""What volunteers do in a ticket's topic (or under its root message), turned into service calls.

The rule for what reaches the operator (issue 20), in one place (`is_public_reply`): a message in the ticket's
topic becomes a public reply when it replies to the ticket card or to a message relayed from the operator, or
uses /balas; everything else is kept as an internal note, which volunteers see on the web. A forum can switch
to "every message is a reply" (ForumTelegramSettings). Captions are read like text (a screenshot captioned
`/catatan ...` is a note), the files of an album join one ticket message; edits are in ticket_edits.py.

Commands: /balas, /catatan, /selesai, /tiket (knows the ticket of the topic it is sent in), /antrian
(/antrean), and the "Saya tangani" button.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.accounts.access import is_member_of
from helpdesk.accounts.models import Forum, User
from helpdesk.core import outbox
from helpdesk.core.models import OutboxJob
from helpdesk.core.refusals import REFUSALS_OR_ABSENT, person_message
from helpdesk.tickets import access, selectors, services
from helpdesk.tickets.models import Channel, Message, Ticket

from . import config
from .handlers import Ask, Context, NotYet, UsageError, callback_handler, command, message_handler
from .linking import hold_unlinked, linked_user
from .models import OutboundMessage
from .outbound import outbound_by_message, telegram_send
from .text import escape
from .ticket_bridge import chat_for, from_chat, load_ticket, settings_of_chat
from .ticket_models import TicketChatMessage, TicketThread
from .ticket_render import local_time, parse_subject, subject_of, summary

log = logging.getLogger(__name__)

FILE_KIND = "telegram.ticket_file"
REFUSALS = REFUSALS_OR_ABSENT
T = TypeVar("T")

File = tuple[str, str, int | None]


def refusal_text(exc: Exception) -> str:
    """The refusal in the person's words; in a chat, "not found" is about a ticket."""
    return person_message(exc, not_found=_("Tiket tidak ditemukan, atau Anda tidak boleh melihatnya."))


def act(fn: Callable[[], T]) -> T:
    """Run a service call; a refusal becomes a short answer (UsageError) instead of an error."""
    try:
        return fn()
    except REFUSALS as exc:
        raise UsageError(refusal_text(exc)) from exc


# ----- which ticket, and whether it is a reply ---------------------------------------------------------------
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
    reply = explicit_reply(ctx)
    if ticket_id is None and reply is not None:
        ticket_id, _m = replied_ticket(ctx.chat_id, reply)
        if ticket_id is None and just_sent_unrecorded(ctx, reply):
            raise NotYet(f"reply to bot message {reply} in {ctx.chat_id}, whose sending is not recorded yet")
    return load_ticket(ticket_id) if ticket_id else None


RECORDING_GRACE = timedelta(minutes=2)


def just_sent_unrecorded(ctx: Context, message_id: int) -> bool:
    """A reply to the bot's own message of the last minutes that no sent request records: the worker that sent it
    has not committed yet (a busy machine; a volunteer who answers the card the instant it appears). Older or
    recorded ones are what they are: a message about no ticket."""
    replied = ctx.message.reply_to_message if ctx.message is not None else None
    if replied is None or replied.from_user is None or replied.from_user.id != config.bot_id():
        return False
    if replied.date is None or timezone.now() - replied.date > RECORDING_GRACE:
        return False
    return outbound_by_message(ctx.chat_id, message_id) is None


def explicit_reply(ctx: Context) -> int | None:
    """The message this one replies to, if the person chose to reply (in a topic, Telegram makes every message
    a reply to the topic's first message; that one does not count)."""
    reply = ctx.message.reply_to_message if ctx.message is not None else None
    if reply is None or (ctx.thread_id is not None and reply.message_id == ctx.thread_id):
        return None
    return reply.message_id


def replied_ticket(chat_id: int, message_id: int) -> tuple[int | None, int | None]:
    """(ticket id, ticket message id) of the message that a Telegram message replies to, if it is one of ours."""
    sent = outbound_by_message(chat_id, message_id)
    if sent is not None and sent.subject:
        return parse_subject(sent.subject)
    mapped = TicketChatMessage.objects.filter(chat_id=chat_id, message_id=message_id).first()
    if mapped is not None:
        return mapped.ticket_id, mapped.ticket_message_id
    return None, None


def is_public_reply(ctx: Context, ticket: Ticket) -> bool:
    """The rule: a reply to the card or to a message relayed from the operator (or every message, if the forum
    says so). Replies to volunteers' messages and plain chatter in the topic stay internal."""
    if settings_of_chat(ctx.chat_id).every_message_is_reply:
        return True
    reply = explicit_reply(ctx)
    if reply is None:
        return False
    sent = outbound_by_message(ctx.chat_id, reply)
    if sent is None:
        return False
    ticket_id, message_id = parse_subject(sent.subject)
    if ticket_id != ticket.pk:
        return False
    if message_id is None:  # the card itself, not any other bot message about the ticket
        return TicketThread.objects.filter(ticket=ticket, chat_id=ctx.chat_id, root_key=sent.key).exists()
    author = Message.objects.filter(pk=message_id).select_related("author").first()
    return author is not None and author.author is not None and access.is_desa_side(author.author, ticket)


def acting_user(ctx: Context) -> User:
    """The linked account of the sender; an unlinked sender's update is held until they link."""
    user = linked_user(ctx.user.id if ctx.user else None)
    if user is None:
        hold_unlinked(ctx)
    assert user is not None
    return user


def file_of(ctx: Context) -> File | None:
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


# ----- from Telegram into the ticket -------------------------------------------------------------------------
def reply_from_telegram(ctx: Context, ticket: Ticket, user: User, *, internal: bool = False,
                        body: str | None = None) -> Message:
    """A Telegram message (text, photo, document) becomes a ticket message; its file is fetched by a job."""
    message = ctx.message
    text = body if body is not None else ((message.text or message.caption or "") if message else "")
    return add_from_telegram(ticket=ticket, user=user, text=text, file=file_of(ctx), chat_id=ctx.chat_id,
                             message_id=message.message_id if message else None, internal=internal,
                             thread_id=ctx.thread_id, quote=not ctx.is_private,
                             media_group_id=(message.media_group_id or "") if message else "")


def add_from_telegram(*, ticket: Ticket, user: User, text: str, file: File | None, chat_id: int,
                      message_id: int | None, internal: bool = False, thread_id: int | None = None,
                      quote: bool = True, media_group_id: str = "") -> Message:
    placeholder = ""
    if not text.strip() and file is not None:
        text = placeholder = _("📎 %(name)s") % {"name": file[1]}
    with from_chat(chat_id):
        created = act(lambda: services.message_create(ticket=ticket, author=user, body=text, internal=internal,
                                                      channel=Channel.TELEGRAM))
    if message_id is not None:
        TicketChatMessage.objects.get_or_create(chat_id=chat_id, message_id=message_id,
                                                defaults={"ticket": ticket, "ticket_message": created,
                                                          "media_group_id": media_group_id})
    if file is not None:
        queue_file(file, ticket=ticket, message=created, user=user, chat_id=chat_id,
                   reply_to=message_id if quote else None, thread_id=thread_id, key=str(message_id or created.pk),
                   placeholder=placeholder)
    return created


def queue_file(file: File, *, ticket: Ticket, message: Message | None, user: User, chat_id: int,
               reply_to: int | None, thread_id: int | None, key: str, placeholder: str = "") -> None:
    """`placeholder`: the text a file-only message got ("📎 name"), which says so if the file is refused."""
    outbox.enqueue(FILE_KIND, {"file_id": file[0], "name": file[1], "size": file[2], "ticket": ticket.pk,
                               "message": message.pk if message else None, "user": user.pk, "chat_id": chat_id,
                               "reply_to": reply_to, "thread_id": thread_id, "placeholder": placeholder},
                   key=f"{FILE_KIND}:{chat_id}:{key}")


def join_album(ctx: Context) -> bool:
    """A later file of an album joins the ticket message its first file made (one reply with all files)."""
    message = ctx.message
    if message is None or not message.media_group_id:
        return False
    first = (TicketChatMessage.objects.filter(chat_id=ctx.chat_id, media_group_id=message.media_group_id)
             .select_related("ticket", "ticket_message").order_by("message_id").first())
    found = file_of(ctx)
    if first is None or found is None:
        return False
    user = acting_user(ctx)
    TicketChatMessage.objects.get_or_create(chat_id=ctx.chat_id, message_id=message.message_id, defaults={
        "ticket": first.ticket, "ticket_message": first.ticket_message, "media_group_id": message.media_group_id})
    queue_file(found, ticket=first.ticket, message=first.ticket_message, user=user, chat_id=ctx.chat_id,
               reply_to=None if ctx.is_private else message.message_id, thread_id=ctx.thread_id,
               key=str(message.message_id))
    return True


@outbox.handler(FILE_KIND, atomic=False, max_attempts=5)
def file_job(payload: dict[str, Any], job: OutboxJob) -> None:
    """Download a file posted in Telegram (outside any transaction), check it, attach it to the ticket."""
    import io

    from helpdesk.core.uploads import UploadRejected, check_upload

    from .files import FileTooBig, download

    def tell(text: str) -> None:
        chat_id = int(payload["chat_id"])
        telegram_send(chat_id=chat_id, text=escape(text), reply_to=payload.get("reply_to"),
                      thread_id=payload.get("thread_id"), purpose_key=f"{FILE_KIND}:{job.pk}:refused",
                      silent=chat_id < 0)  # in a group, the bot's answers don't ring everyone's phone

    try:
        got = download(str(payload["file_id"]))
    except FileTooBig:
        with transaction.atomic():
            tell(_("Berkas lebih dari 20 MB; bot tidak bisa mengambilnya. Unggah lewat web."))
        not_attached(payload)
        return
    try:
        checked = check_upload(str(payload["name"]), io.BytesIO(got.content), declared_size=len(got.content))
    except UploadRejected as exc:
        with transaction.atomic():
            tell(str(exc).replace(" (zip bomb)", ""))
        not_attached(payload)
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
            transaction.on_commit(lambda: not_attached(payload))


def not_attached(payload: dict[str, Any]) -> None:
    """A message that was only a file, whose file was refused, says so on the ticket: "📎 name" with nothing
    attached had reached the operator and the web as if the file were there. A message with its own words, or
    with another file of its album attached, stays as it is."""
    placeholder = str(payload.get("placeholder") or "")
    message = Message.objects.select_related("ticket", "author").filter(pk=payload.get("message") or 0).first()
    if not placeholder or message is None or message.author is None or message.body != placeholder:
        return
    if message.attachments.exists():  # type: ignore[attr-defined]
        return
    try:
        with from_chat(int(payload["chat_id"])):  # the group has the person's own message: nothing to edit there
            services.message_edit(message=message, editor=message.author, channel=Channel.TELEGRAM,
                                  body=_("📎 %(name)s (tidak dilampirkan: berkasnya ditolak)") % {"name": payload["name"]})
    except REFUSALS as exc:  # the edit window has closed, or they may no longer write here
        log.info("telegram file %s refused; its message %s stays as it was: %s", payload["name"], message.pk, exc)


# ----- handlers ------------------------------------------------------------------------------------------------
@message_handler("ticket-group", chats="group", order=50)
def group_message(ctx: Context) -> bool:
    if ctx.message is None:
        return False
    unattachable = bool(ctx.message.video or ctx.message.audio)
    if not (ctx.message.text or ctx.message.caption or file_of(ctx) or unattachable):
        return False
    if join_album(ctx):
        return True
    ticket = ticket_in_chat(ctx)
    if ticket is None:
        return False
    user = acting_user(ctx)
    if ctx.message.text or ctx.message.caption or file_of(ctx):
        reply_from_telegram(ctx, ticket, user, internal=not is_public_reply(ctx, ticket))
    if unattachable:  # said, not dropped without a word: the web takes no videos either
        ctx.reply(_("Video dan audio tidak bisa dilampirkan ke tiket %(n)s. Kirim tangkapan layar (foto), PDF, "
                    "teks/log, atau ZIP.") % {"n": ticket.number}, parse_mode=None, silent=True)
    return True


def ticket_from_context(ctx: Context) -> Ticket:
    ticket = ticket_in_chat(ctx)
    if ticket is None:
        raise UsageError(_("Kirim perintah ini di topik tiket, atau sebagai balasan pada pesan tiket."))
    return ticket


@command("balas", help=gettext_lazy("balasan ke operator desa: /balas <teks>"), chats="group")
def balas(ctx: Context) -> None:
    ticket = ticket_from_context(ctx)
    if not ctx.arg_text.strip() and file_of(ctx) is None:
        raise Ask(_("Tulis balasan untuk operator desa sebagai balasan pada pesan ini."))
    user = acting_user(ctx)
    reply_from_telegram(ctx, ticket, user, body=ctx.arg_text)


@command("catatan", help=gettext_lazy("catatan internal pada tiket: /catatan <teks>"), chats="group")
def catatan(ctx: Context) -> None:
    ticket = ticket_from_context(ctx)
    if not ctx.arg_text.strip() and file_of(ctx) is None:
        raise Ask(_("Tulis catatan internalnya sebagai balasan pada pesan ini."))
    user = acting_user(ctx)
    reply_from_telegram(ctx, ticket, user, internal=True, body=ctx.arg_text)
    ctx.reply(_("Catatan internal disimpan pada %(n)s.") % {"n": ticket.number}, silent=True)


@command("selesai", help=gettext_lazy("menyelesaikan tiket: /selesai [jawaban]"), chats="group")
def selesai(ctx: Context) -> None:
    ticket = ticket_from_context(ctx)
    user = acting_user(ctx)
    accepted: int | None = None
    if ctx.arg_text.strip():
        accepted = reply_from_telegram(ctx, ticket, user, body=ctx.arg_text).pk
    else:
        reply = explicit_reply(ctx)
        if reply is not None:
            ticket_id, message_id = replied_ticket(ctx.chat_id, reply)
            if ticket_id == ticket.pk and message_id and Message.objects.filter(
                    pk=message_id, kind=Message.Kind.REPLY).exists():
                accepted = message_id
    with from_chat(ctx.chat_id):
        act(lambda: services.ticket_resolve(ticket=ticket, actor=user, message_id=accepted, channel=Channel.TELEGRAM))
    ctx.reply(_("✅ Tiket %(n)s diselesaikan.") % {"n": ticket.number}, silent=True)


def open_tickets_text(user: User) -> str:
    tickets = selectors.own_open_tickets(user, limit=10)
    if not tickets:
        return _("Tidak ada tiket terbuka.")
    lines = [_("<b>Tiket terbuka Anda</b>")]
    lines += [f"#{escape(t.number)} {escape(t.title)} — {t.get_status_display()}" for t in tickets]
    lines.append(escape(_("Ketik /status <nomor> untuk rinciannya.")))
    return "\n".join(lines)


@command("tiket", help=gettext_lazy("ringkasan tiket: /tiket <nomor> (di topik tiket: tiket itu)"))
def tiket(ctx: Context) -> None:
    user = linked_user(ctx.user.id if ctx.user else None)
    number = ctx.args[0] if ctx.args else ""
    if not number and ctx.is_group:
        here = ticket_in_chat(ctx)
        number = here.number if here is not None else ""
    if not number:
        if ctx.is_private and user is not None:
            ctx.reply(open_tickets_text(user))
            return
        raise Ask(_("Nomor tiketnya? Contoh: NTB-000123."))
    if user is None:
        raise UsageError(_("Tautkan akun Telegram Anda dulu dari halaman profil di %(site)s.")
                         % {"site": settings.SITE_URL})
    show_ticket(ctx, user, number)


def show_ticket(ctx: Context, user: User, number: str) -> None:
    """/tiket <nomor>, and /status <nomor> in the private chat: the ticket's card and its last public reply.
    In a group, only a public ticket or one this group carries: that the asker may see a private ticket does
    not make it the business of everyone in another forum's group."""
    ticket = act(lambda: access.access_ticket(user, number.lstrip("#"), by_number=True))
    if ctx.is_group and not belongs_to_chat(ticket, ctx.chat_id):
        raise UsageError(_("Tiket %(n)s bukan tiket forum grup ini, jadi tidak ditampilkan di sini. Lihat di web, "
                           "atau kirim /status %(n)s di obrolan pribadi dengan bot.") % {"n": ticket.number})
    ctx.reply(summary(ticket), subject=subject_of(ticket.pk), silent=ctx.is_group)


def belongs_to_chat(ticket: Ticket, chat_id: int) -> bool:
    """A public ticket, or a private one posted in this group or meant for it (its forum's group)."""
    if ticket.is_public or TicketThread.objects.filter(ticket=ticket, chat_id=chat_id).exists():
        return True
    return ticket.forum is not None and chat_for(ticket.forum) == chat_id


@command("antrean", help=gettext_lazy("tiket forum yang belum diambil, yang terlama dulu"), chats="group")
def antrean(ctx: Context) -> None:
    forum = Forum.objects.filter(telegram_chat_id=ctx.chat_id).first()
    user = linked_user(ctx.user.id if ctx.user else None)
    if forum is None:
        raise UsageError(_("Grup ini belum terhubung ke forum."))
    if user is None or not is_member_of(user, forum):
        raise UsageError(_("Antrean hanya untuk relawan forum ini yang sudah menautkan akun Telegram."))
    tickets = selectors.unclaimed_tickets(forum.pk, limit=15)
    if not tickets:
        ctx.reply(_("Antrean kosong. Terima kasih! 🎉"), silent=True)
        return
    lines = [_("<b>Antrean %(f)s</b> (belum diambil, terlama dulu)") % {"f": escape(forum.name)}]
    lines += [f"#{escape(t.number)} {escape(t.title)} · {local_time(t.created_at, t.desa_id)}" for t in tickets]
    ctx.reply("\n".join(lines), silent=True)


command("antrian", help=gettext_lazy("sama dengan /antrean"), chats="group", hidden=True)(antrean)


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
        except REFUSALS as exc:
            raise UsageError(refusal_text(exc)) from exc
    done = _("Tiket %(n)s Anda tangani.") % {"n": ticket.number}
    ctx.answer_callback(done)
    if ctx.replayed:  # pressed before the account was linked: the button's answer is long gone, say it privately
        ctx.send_private(escape(done) + "\n" + escape(summary_line(ticket)), subject=subject_of(ticket.pk))


def summary_line(ticket: Ticket) -> str:
    return f"#{ticket.number} {ticket.title}"
