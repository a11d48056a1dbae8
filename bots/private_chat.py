"""Telegram for operators and everyone (issue 10): notifications in the private chat, answering a ticket by
replying to the bot's message, a menu for replies that point at no ticket, /status, /baru (a guided dialogue),
/cari (public knowledge-base search, for anyone, in any chat), and the answer to people with no account.

Private-chat messages are rate-limited per Telegram user (helpdesk.core.ratelimit), so one person's flood
cannot fill the sender's queue.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.accounts.access import is_verified_operator
from helpdesk.accounts.models import User
from helpdesk.accounts.preferences import wants_notification
from helpdesk.categories.models import Category
from helpdesk.core import ratelimit
from helpdesk.notifications.models import Notification
from helpdesk.tickets import access, selectors, services
from helpdesk.tickets.extensions import Answer, AnswerFinder, answer_finders
from helpdesk.tickets.models import Channel, Message, Ticket
from search import SearchQueryError

from . import config
from .handlers import Ask, Context, UsageError, callback_handler, command, message_handler
from .linking import linked_user, telegram_id_of
from .outbound import Buttons, button, telegram_send
from .text import cut, escape, telegram_html
from .ticket_bridge import forum_settings, post_sla, sees_ticket_in_group
from .ticket_group import FILE_KIND, act, add_from_telegram, file_of, join_album, replied_ticket, show_ticket
from .ticket_models import ForumTelegramSettings, PrivateDialog
from .ticket_render import sla_line, subject_of, ticket_url

log = logging.getLogger(__name__)

PRIVATE_LIMIT = 20  # messages per user per minute
MENU_SIZE = 8
MAX_PENDING = 10


def throttled(ctx: Context) -> bool:
    """Count one private message; True when this user is over the limit (the message is then ignored)."""
    if not ctx.is_private or ctx.user is None:
        return False
    allowed = ratelimit.hit("telegram-private", ctx.user.id, limit=PRIVATE_LIMIT, window_seconds=60)
    if not allowed:
        log.info("telegram: private messages of %s over the limit, ignored", ctx.user.id)
    return not allowed


def no_account_text() -> str:
    """Plain text (sent with parse_mode=None, so nothing in it is escaped)."""
    return _("Akun Telegram Anda belum tertaut ke SID Helpdesk, jadi pesan ini tidak disimpan.\n\n"
             "• Operator desa: daftar di %(site)s/daftar/, lalu tautkan Telegram dari halaman Profil.\n"
             "• Mencari jawaban: ketik /cari dan kata kuncinya. Contoh: /cari impor penduduk.") % {
        "site": settings.SITE_URL}


# ----- notifications as a channel -------------------------------------------------------------------------------
def telegram_channel(notification: Notification) -> None:
    """Send a notification to the person's private chat, if they linked Telegram and want this event there.
    Never an internal note to the desa side, never a ticket the person may not see."""
    if not config.enabled():
        return
    user = notification.user
    sla = notification.type in ("sla_warning", "sla_breach")
    if sla and notification.ticket_id:
        digest = hashlib.sha256(notification.text.encode()).hexdigest()[:16]
        post_sla(notification.ticket_id, notification.type, key=f"tk:{notification.ticket_id}:sla:{digest}")
    if not wants_notification(user, notification.type, "telegram"):
        return
    tg_id = telegram_id_of(user)
    if tg_id is None:
        return
    lines = [escape(notification.text)]
    subject = ""
    if notification.ticket_id:
        ticket = Ticket.objects.select_related("desa", "forum").filter(pk=notification.ticket_id).first()
        if ticket is None:
            return
        if not access.can_see(user, ticket):
            log.warning("telegram: notification %s for a ticket its user may not see, not sent", notification.pk)
            return
        if sees_ticket_in_group(user, ticket) and not (
                sla and ticket.assignee_id == user.pk
                and forum_settings(ticket.forum_id).sla_warnings == ForumTelegramSettings.SlaTo.ASSIGNEE):
            return  # the group shows it to them already; only an SLA warning for the assignee comes privately
        if sla:
            lines = [sla_line(ticket, notification.type)]
        subject = subject_of(ticket.pk)
        if notification.type == "ticket_reply":
            # The hook runs in the transaction that wrote the message: the newest one is what this is about.
            latest = (Message.objects.filter(ticket_id=ticket.pk).exclude(kind=Message.Kind.SYSTEM)
                      .order_by("-created_at", "-id").only("kind").first())
            if latest is not None and latest.kind == Message.Kind.INTERNAL:
                return  # internal notes stay on the web (volunteers see them there and in the group's tools)
            reply = selectors.latest_public_reply(ticket.pk)
            if reply is not None and reply.author_id != user.pk:
                lines.append(f"\n{escape(cut(reply.body, 3000))}")
                subject = subject_of(ticket.pk, reply.pk)
        lines.append(f"\n#{escape(ticket.number)} · {ticket_url(ticket)}")
        if access.can_reply(user, ticket):
            lines.append(_("<i>Balas pesan ini untuk menjawab.</i>"))
    elif notification.url:
        url = notification.url if notification.url.startswith("http") else f"{settings.SITE_URL}{notification.url}"
        lines.append(url)
    telegram_send(chat_id=tg_id, text="\n".join(lines), purpose_key=f"notify:{notification.pk}", subject=subject)


# ----- answering in the private chat ------------------------------------------------------------------------------
def _dialog(tg_id: int) -> PrivateDialog | None:
    return PrivateDialog.objects.filter(telegram_user_id=tg_id).first()


def _pending_store(tg_id: int) -> PrivateDialog:
    dialog, _created = PrivateDialog.objects.get_or_create(
        telegram_user_id=tg_id, defaults={"kind": "menu", "step": "pending", "data": {}})
    return dialog


@message_handler("private-chat", chats="private", order=60)
def private_message(ctx: Context) -> bool:
    if ctx.message is None or ctx.user is None:
        return False
    if throttled(ctx):
        return True
    user = linked_user(ctx.user.id)
    if user is None:
        ctx.reply(no_account_text(), parse_mode=None)
        return True
    if join_album(ctx):
        return True
    dialog = _dialog(ctx.user.id)
    if dialog is not None and dialog.kind == "baru":
        _baru_continue(ctx, user, dialog)
        return True
    text = ctx.message.text or ctx.message.caption or ""
    found = file_of(ctx)
    reply = ctx.message.reply_to_message
    if reply is not None:
        ticket_id, _m = replied_ticket(ctx.chat_id, reply.message_id)
        if ticket_id is not None:
            ticket = act(lambda: access.access_ticket(user, ticket_id))
            add_from_telegram(ticket=ticket, user=user, text=text, file=found, chat_id=ctx.chat_id,
                              message_id=ctx.message.message_id, quote=False,
                              media_group_id=ctx.message.media_group_id or "")
            ctx.reply(_("✅ Balasan terkirim ke tiket %(n)s.") % {"n": ticket.number}, subject=subject_of(ticket.pk))
            return True
    # Not a reply to a ticket: keep the message and ask which ticket it is for.
    tickets = selectors.own_open_tickets(user, limit=MENU_SIZE, assigned=True)
    if not tickets:
        ctx.reply(_("Anda tidak punya tiket terbuka. Untuk membuat tiket baru, ketik /baru dan judul masalahnya. "
                    "Untuk mencari jawaban, ketik /cari dan kata kuncinya."), parse_mode=None)
        return True
    store = _pending_store(ctx.user.id)
    pending: dict[str, Any] = dict(store.data.get("pending", {})) if store.kind == "menu" else {}
    pending[str(ctx.message.message_id)] = {"text": text, "file": list(found) if found else None}
    while len(pending) > MAX_PENDING:
        pending.pop(next(iter(pending)))
    PrivateDialog.objects.filter(pk=store.pk).update(kind="menu", step="pending", data={"pending": pending},
                                                     updated_at=timezone.now())
    buttons: Buttons = [[button(f"#{t.number} {t.title}"[:60], callback_data=f"kirim:{t.pk}:{ctx.message.message_id}")]
                        for t in tickets]
    ctx.reply(_("Pesan ini untuk tiket yang mana? Pilih salah satu:"), buttons=buttons)
    return True


@callback_handler("kirim")
def send_pending(ctx: Context) -> None:
    parts = ((ctx.callback.data if ctx.callback else "") or "").split(":")
    user = linked_user(ctx.user.id if ctx.user else None)
    if user is None or ctx.user is None or len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        raise UsageError(_("Tombol ini sudah tidak berlaku."))
    store = _dialog(ctx.user.id)
    pending: dict[str, Any] = dict(store.data.get("pending", {})) if store and store.kind == "menu" else {}
    item = pending.pop(parts[2], None)
    if item is None or store is None:
        raise UsageError(_("Pesan ini sudah terkirim."))
    ticket = act(lambda: access.access_ticket(user, int(parts[1])))
    file = tuple(item["file"]) if item.get("file") else None
    add_from_telegram(ticket=ticket, user=user, text=item.get("text", ""), file=file,  # type: ignore[arg-type]
                      chat_id=ctx.chat_id, message_id=int(parts[2]), quote=False)
    PrivateDialog.objects.filter(pk=store.pk).update(data={"pending": pending}, updated_at=timezone.now())
    ctx.answer_callback(_("Terkirim ke %(n)s.") % {"n": ticket.number})
    ctx.reply(_("✅ Balasan terkirim ke tiket %(n)s.") % {"n": ticket.number}, subject=subject_of(ticket.pk))


# ----- commands -----------------------------------------------------------------------------------------------
def _linked_or_refuse(ctx: Context) -> User:
    user = linked_user(ctx.user.id if ctx.user else None)
    if user is None:
        raise UsageError(no_account_text())  # refusals are sent as plain text
    return user


@command("status", help=gettext_lazy("status tiket: /status <nomor>"), chats="private")
def status(ctx: Context) -> None:
    if throttled(ctx):
        return
    user = _linked_or_refuse(ctx)
    if not ctx.args:
        raise Ask(_("Nomor tiketnya? Contoh: NTB-000123. Daftar tiket Anda: /tiket"))
    if len(ctx.args) != 1:
        raise UsageError(_("Contoh: /status NTB-000123. Daftar tiket Anda: /tiket"))
    show_ticket(ctx, user, ctx.args[0])


def _answers(ask: Callable[[AnswerFinder], list[Answer]], *, limit: int) -> list[Answer]:
    """Written answers from whoever offers them (the knowledge base, through `tickets.extensions`), best first."""
    return [answer for finder in answer_finders.values() for answer in ask(finder)][:limit]


@command("cari", help=gettext_lazy("cari jawaban di basis pengetahuan: /cari <kata kunci>"), allow_unknown_chat=True)
def cari(ctx: Context) -> None:
    if throttled(ctx):
        return
    text = ctx.arg_text.strip()
    if not text:
        raise Ask(_("Apa yang dicari? Tulis kata kuncinya. Contoh: impor penduduk."))
    try:
        hits = _answers(lambda finder: finder.search(text[:200], limit=5), limit=5)
    except SearchQueryError:
        raise UsageError(_("Kata kunci tidak bisa dicari. Coba kata lain.")) from None
    if not hits:
        if ctx.is_private and linked_user(ctx.user.id if ctx.user else None) is not None:
            ctx.reply(_("Belum ada jawaban untuk \"%(q)s\". Coba kata lain, atau buat tiket: /baru %(q)s")
                      % {"q": escape(text)})
        else:
            ctx.reply(_("Belum ada jawaban untuk \"%(q)s\". Coba kata lain.") % {"q": escape(text)},
                      silent=ctx.is_group)
        return
    lines = [_("<b>Jawaban di basis pengetahuan</b> untuk \"%(q)s\":") % {"q": escape(text)}]
    for hit in hits:
        url = hit.url if hit.url.startswith("http") else f"{settings.SITE_URL}{hit.url}"
        # The snippet is HTML already (<mark> around the words found): made Telegram-safe, not escaped again.
        lines.append(f"\n<a href=\"{escape(url)}\">{escape(hit.title)}</a>\n{telegram_html(hit.snippet[:300])}")
    ctx.reply("\n".join(lines), silent=ctx.is_group)


# ----- /baru: a short guided dialogue ---------------------------------------------------------------------------
@command("baru", help=gettext_lazy("membuat tiket baru: /baru <judul>"), chats="private")
def baru(ctx: Context) -> None:
    if throttled(ctx):
        return
    user = _linked_or_refuse(ctx)
    assert ctx.user is not None
    if not is_verified_operator(user):
        raise UsageError(_("Hanya operator desa yang sudah diverifikasi yang bisa membuat tiket."))
    title = ctx.arg_text.strip()
    if not title:
        raise Ask(_("Apa judul masalahnya? Contoh: Gagal impor data penduduk."))
    if len(title) > 200:
        raise UsageError(_("Judul terlalu panjang (maks. 200 karakter)."))
    hits = _answers(lambda finder: finder.suggest(title, limit=3), limit=3)
    if hits:
        lines = [_("Mungkin sudah ada jawabannya:")]
        for hit in hits:
            url = hit.url if hit.url.startswith("http") else f"{settings.SITE_URL}{hit.url}"
            lines.append(f"• <a href=\"{escape(url)}\">{escape(hit.title)}</a>")
        lines.append(_("Jika belum membantu, lanjutkan di bawah."))
        ctx.reply("\n".join(lines))
    PrivateDialog.objects.update_or_create(
        telegram_user_id=ctx.user.id,
        defaults={"kind": "baru", "step": "category", "data": {"title": title}, "updated_at": timezone.now()})
    categories = list(Category.objects.filter(is_active=True).order_by("name")[:12])
    buttons: Buttons = [[button(c.name[:40], callback_data=f"baru-kat:{c.slug}"[:64])] for c in categories]
    buttons.append([button(_("Batal"), callback_data="baru-batal")])
    ctx.reply(_("Tiket baru: <b>%(t)s</b>\nPilih kategorinya:") % {"t": escape(title)}, buttons=buttons)


def _baru_dialog(ctx: Context) -> PrivateDialog:
    dialog = _dialog(ctx.user.id) if ctx.user else None
    if dialog is None or dialog.kind != "baru":
        raise UsageError(_("Tidak ada tiket yang sedang dibuat. Mulai dengan /baru <judul>."))
    return dialog


@callback_handler("baru-kat")
def baru_category(ctx: Context) -> None:
    dialog = _baru_dialog(ctx)
    slug = ((ctx.callback.data if ctx.callback else "") or "").split(":", 1)[-1]
    if not Category.objects.filter(slug=slug, is_active=True).exists():
        raise UsageError(_("Kategori tidak dikenal."))
    PrivateDialog.objects.filter(pk=dialog.pk).update(step="description", data={**dialog.data, "category": slug},
                                                      updated_at=timezone.now())
    ctx.answer_callback()
    ctx.reply(_("Ceritakan masalahnya: apa yang dilakukan, apa yang muncul, sejak kapan. Kirim dalam satu pesan."))


@callback_handler("baru-batal")
def baru_cancel(ctx: Context) -> None:
    if ctx.user is not None:
        PrivateDialog.objects.filter(telegram_user_id=ctx.user.id, kind="baru").delete()
    ctx.answer_callback(_("Dibatalkan."))
    ctx.reply(_("Pembuatan tiket dibatalkan."))


@callback_handler("baru-kirim")
def baru_submit(ctx: Context) -> None:
    dialog = _baru_dialog(ctx)
    if dialog.step != "screenshot":
        raise UsageError(_("Lengkapi dulu kategori dan uraian masalahnya."))
    user = _linked_or_refuse(ctx)
    _baru_create(ctx, user, dialog, file=None, message_id=None)
    ctx.answer_callback()


def _baru_continue(ctx: Context, user: User, dialog: PrivateDialog) -> None:
    assert ctx.message is not None
    if dialog.step == "category":
        ctx.reply(_("Pilih kategori dengan tombol di atas, atau tekan Batal."))
    elif dialog.step == "description":
        text = (ctx.message.text or ctx.message.caption or "").strip()
        if not text:
            ctx.reply(_("Tuliskan uraian masalahnya dalam pesan teks."))
            return
        PrivateDialog.objects.filter(pk=dialog.pk).update(step="screenshot", data={**dialog.data, "description": text},
                                                          updated_at=timezone.now())
        ctx.reply(_("Ada tangkapan layar? Kirim sebagai foto sekarang, atau tekan Kirim tanpa gambar."),
                  buttons=[[button(_("Kirim tanpa gambar"), callback_data="baru-kirim")],
                           [button(_("Batal"), callback_data="baru-batal")]])
    elif dialog.step == "screenshot":
        found = file_of(ctx)
        if found is None:
            ctx.reply(_("Kirim gambar sebagai foto, atau tekan Kirim tanpa gambar."))
            return
        _baru_create(ctx, user, dialog, file=found, message_id=ctx.message.message_id)


def _baru_create(ctx: Context, user: User, dialog: PrivateDialog, *, file: tuple[str, str, int | None] | None,
                 message_id: int | None) -> None:
    data = dialog.data
    ticket = act(lambda: services.ticket_create(reporter=user, title=data["title"],
                                                description=data.get("description", ""),
                                                category=data["category"], channel=Channel.TELEGRAM))
    PrivateDialog.objects.filter(pk=dialog.pk).delete()
    if file is not None:
        from helpdesk.core import outbox

        outbox.enqueue(FILE_KIND, {"file_id": file[0], "name": file[1], "size": file[2], "ticket": ticket.pk,
                                   "message": None, "user": user.pk, "chat_id": ctx.chat_id, "reply_to": None,
                                   "thread_id": None}, key=f"{FILE_KIND}:{ctx.chat_id}:{message_id}")
    ctx.reply(_("✅ Tiket <b>%(n)s</b> dibuat dan diteruskan ke %(f)s. Balasan relawan akan dikirim ke sini; "
                "balas pesannya untuk menjawab.\n%(url)s")
              % {"n": escape(ticket.number), "f": escape(ticket.forum.name), "url": ticket_url(ticket)},
              subject=subject_of(ticket.pk))


@command("batal", help=gettext_lazy("membatalkan yang sedang berjalan (mis. /baru)"), chats="private")
def batal(ctx: Context) -> None:
    removed = PrivateDialog.objects.filter(telegram_user_id=ctx.user.id).delete()[0] if ctx.user else 0
    ctx.reply(_("Dibatalkan.") if removed else _("Tidak ada yang sedang berjalan."))
