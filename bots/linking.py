"""Who is who on Telegram: linking an account (deep link `t.me/<bot>?start=<token>`), unlinking (/berhenti or
the profile page), and linking a group to a forum (`/hubungkan <code>`).

Codes are random, single use and expiring; only their SHA-256 is stored. A Telegram account belongs to at most
one user and a user has at most one Telegram account: linking an account that was linked to someone else moves
the link, and the previous user is told.

Group messages from someone who has not linked their account are held (HoldUpdate) and applied when they link.
A held update keeps nothing of its handler, so the private message that explains how to link is sent by
`tell_unlinked()`, which the worker runs every 10 seconds.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.accounts.access import can_manage_forum
from helpdesk.accounts.models import Forum, User
from helpdesk.core import outbox
from helpdesk.core.errors import DomainError
from helpdesk.core.models import OutboxJob
from helpdesk.core.scheduler import periodic

from . import chats, config, intake
from .builtin import help_text
from .chats import ChatChange, on_chat_change
from .dispatch import as_last_edited
from .handlers import Ask, Context, HoldUpdate, UsageError, bot_username, callback_handler, command
from .models import TelegramChat, TelegramUpdate
from .outbound import button, telegram_send
from .text import cut, escape
from .ticket_models import ForumTelegramSettings, LinkCode, TelegramLink, UnlinkedNotice

log = logging.getLogger(__name__)

ACCOUNT_CODE_TTL = timedelta(minutes=30)
FORUM_CODE_TTL = timedelta(hours=24)
RELEASE_KIND = "telegram.release_held"
NO_TOPICS = gettext_lazy(
    "⚠️ Bot tidak boleh mengelola topik di grup ini, jadi tiket akan dikirim sebagai pesan biasa. Jadikan bot admin "
    "dengan hak <b>Kelola topik</b> agar setiap tiket mendapat topiknya sendiri.")
NOTICE_AGAIN_AFTER = timedelta(hours=12)


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def held_key(telegram_user_id: int) -> str:
    return f"tg-user:{telegram_user_id}"


class TelegramOff(DomainError):
    """No bot runs on this server (no TELEGRAM_BOT_TOKEN), so a link or a code could never be used."""

    code = "telegram_disabled"
    default_message = gettext_lazy("Telegram belum diaktifkan di server ini, jadi belum bisa ditautkan.")


class TelegramNameUnknown(TelegramOff):
    """A token is set but the bot's name could not be learnt (getMe failed): a link to a guessed name could hand
    the one-time token to somebody else's bot, so none is made."""

    code = "telegram_unavailable"
    default_message = gettext_lazy("Telegram sedang tidak bisa dihubungi; coba lagi beberapa menit lagi.")


@dataclass(frozen=True)
class NewCode:
    code: str
    expires_at: Any
    url: str = ""


# ----- services ---------------------------------------------------------------------------------------------
def account_link_start(*, user: User) -> NewCode:
    """A deep link for `user`: opening it in Telegram and pressing Start links the account."""
    if not config.enabled():
        raise TelegramOff
    name = bot_username()
    if not name:
        raise TelegramNameUnknown
    token = secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-], as /start payloads allow
    expires = timezone.now() + ACCOUNT_CODE_TTL
    LinkCode.objects.create(purpose=LinkCode.Purpose.ACCOUNT, code_hash=_hash(token), user=user, expires_at=expires)
    return NewCode(code=token, expires_at=expires, url=f"https://t.me/{name}?start={token}")


def forum_code_create(*, actor: User, forum: Forum) -> NewCode:
    """A one-time code a coordinator sends as `/hubungkan <code>` in the forum's group."""
    from django.core.exceptions import PermissionDenied

    if not can_manage_forum(actor, forum):
        raise PermissionDenied(_("Hanya koordinator forum ini yang bisa menghubungkan grup Telegram."))
    if not config.enabled():
        raise TelegramOff
    code = secrets.token_hex(5).upper()
    expires = timezone.now() + FORUM_CODE_TTL
    LinkCode.objects.create(purpose=LinkCode.Purpose.FORUM, code_hash=_hash(code), user=actor, forum=forum,
                            expires_at=expires)
    return NewCode(code=code, expires_at=expires)


def _take_code(code: str, purpose: str) -> LinkCode | None:
    """The code if it is valid; it is used up in the same step (compare-and-set), so it works once."""
    row = LinkCode.objects.select_related("user", "forum").filter(code_hash=_hash(code), purpose=purpose).first()
    if row is None or row.used_at is not None or row.expires_at <= timezone.now():
        return None
    if not LinkCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now()):
        return None
    return row


def linked_user(telegram_user_id: int | None) -> User | None:
    if telegram_user_id is None:
        return None
    link = TelegramLink.objects.select_related("user").filter(telegram_user_id=telegram_user_id).first()
    if link is None or not link.user.is_active:
        return None
    return link.user


def telegram_id_of(user: User) -> int | None:
    return TelegramLink.objects.filter(user=user).values_list("telegram_user_id", flat=True).first()


def link_account(*, user: User, telegram_user_id: int, username: str = "", name: str = "") -> User | None:
    """Link; returns the user the Telegram account was linked to before (who has lost it), if any."""
    from helpdesk.notifications.services import notify

    with transaction.atomic():
        previous = TelegramLink.objects.select_related("user").filter(telegram_user_id=telegram_user_id).first()
        moved_from = previous.user if previous is not None and previous.user_id != user.pk else None
        if previous is not None and moved_from is not None:
            previous.delete()
        TelegramLink.objects.update_or_create(
            user=user,
            defaults={"telegram_user_id": telegram_user_id, "telegram_username": username[:64],
                      "telegram_name": name[:128], "linked_at": timezone.now()},
        )
        if moved_from is not None:
            notify(user=moved_from, event="telegram_link_moved",
                   text=_("Akun Telegram Anda kini ditautkan ke akun lain (%(name)s). Jika itu bukan Anda, tautkan "
                          "lagi dari halaman profil.") % {"name": user.display_name},
                   url="/akun/profil/")
        UnlinkedNotice.objects.filter(telegram_user_id=telegram_user_id).delete()
        outbox.enqueue(RELEASE_KIND, {"held_for": held_key(telegram_user_id)},
                       key=f"{RELEASE_KIND}:{telegram_user_id}:{timezone.now().timestamp()}")
    return moved_from


def unlink_account(*, user: User) -> bool:
    return bool(TelegramLink.objects.filter(user=user).delete()[0])


def forum_settings_update(*, actor: User, forum: Forum, data: dict[str, Any]) -> ForumTelegramSettings:
    """Change how the forum's Telegram group behaves (coordinators only)."""
    from django.core.exceptions import PermissionDenied

    if not can_manage_forum(actor, forum):
        raise PermissionDenied(_("Hanya koordinator forum ini yang bisa mengubah pengaturan Telegram."))
    with transaction.atomic():
        row, _created = ForumTelegramSettings.objects.select_for_update().get_or_create(forum=forum)
        for name, value in data.items():
            setattr(row, name, value)
        row.full_clean()
        row.save()
    return row


def forum_link_chat(*, forum: Forum, chat_id: int) -> None:
    with transaction.atomic():
        Forum.objects.filter(telegram_chat_id=chat_id).exclude(pk=forum.pk).update(telegram_chat_id=None)
        Forum.objects.filter(pk=forum.pk).update(telegram_chat_id=chat_id)
        chats.telegram_refresh_chat(chat_id)


@outbox.handler(RELEASE_KIND, atomic=False, max_attempts=5)
def release_job(payload: dict[str, Any], job: OutboxJob) -> None:
    """After linking: held button presses are applied (the person chose them); held messages are offered back
    to their sender to send or discard, never published blindly (they may be days old, or meant for friends)."""
    held_for = str(payload["held_for"])
    released = intake.release_held(held_for, kinds=["callback_query"])
    with transaction.atomic():
        offered = offer_held_messages(held_for)
    log.info("telegram: %s held press(es) of %s applied, %s message(s) offered back", released, held_for, offered)


MAX_OFFERED = 5


def offer_held_messages(held_for: str) -> int:
    """One private message per held group message (the newest few): its text and "Kirim" / "Buang" buttons."""
    tg_id = int(held_for.split(":", 1)[1])
    held = list(TelegramUpdate.objects.filter(state=TelegramUpdate.State.HELD, held_for=held_for,
                                              kind="message").order_by("-update_id")[:MAX_OFFERED])
    for row in reversed(held):
        message = as_last_edited(row.payload, row.update_id).get("message") or {}  # as its author left it
        content = message.get("text") or message.get("caption") or ""
        if message.get("photo") or message.get("document"):
            content = (_("[berkas] ") + content).strip()
        where = (message.get("chat") or {}).get("title") or ""
        text = _("Pesan Anda di grup <b>%(group)s</b> belum terkirim karena akun Anda belum tertaut:\n"
                 "<blockquote>%(text)s</blockquote>\nKirim sekarang, atau buang?") % {
            "group": escape(where), "text": escape(cut(content, 500))}
        telegram_send(chat_id=tg_id, text=text, purpose_key=f"held-offer:{row.update_id}", buttons=[[
            button(_("Kirim"), callback_data=f"held-send:{row.update_id}"),
            button(_("Buang"), callback_data=f"held-drop:{row.update_id}")]])
    return len(held)


def _held_choice(ctx: Context) -> tuple[str, int]:
    data = (ctx.callback.data if ctx.callback else "") or ""
    raw = data.split(":", 1)[-1]
    if ctx.user is None or not raw.isdigit():
        raise UsageError(_("Tombol ini sudah tidak berlaku."))
    return held_key(ctx.user.id), int(raw)


@callback_handler("held-send")
def held_send(ctx: Context) -> None:
    held_for, update_id = _held_choice(ctx)
    if not TelegramUpdate.objects.filter(state=TelegramUpdate.State.HELD, held_for=held_for,
                                         update_id=update_id).exists():
        raise UsageError(_("Pesan ini sudah dikirim atau dibuang."))
    outbox.enqueue(SEND_HELD_KIND, {"held_for": held_for, "update_id": update_id},
                   key=f"{SEND_HELD_KIND}:{update_id}")
    ctx.answer_callback(_("Dikirim."))


@callback_handler("held-drop")
def held_drop(ctx: Context) -> None:
    held_for, update_id = _held_choice(ctx)
    if not intake.discard_held(held_for, [update_id], "discarded by its sender"):
        raise UsageError(_("Pesan ini sudah dikirim atau dibuang."))
    ctx.answer_callback(_("Dibuang."))


SEND_HELD_KIND = "telegram.send_held"


@outbox.handler(SEND_HELD_KIND, atomic=False, max_attempts=5)
def send_held_job(payload: dict[str, Any], job: OutboxJob) -> None:
    intake.release_held(str(payload["held_for"]), update_ids=[int(payload["update_id"])])


def hold_unlinked(ctx: Context) -> None:
    """Keep this update until its sender links their account (raises HoldUpdate)."""
    user_id = ctx.user.id if ctx.user else 0
    raise HoldUpdate(held_key(user_id), reason="sender has no linked account")


def tell_unlinked() -> int:
    """Write privately to each person whose group messages are held because they have no linked account."""
    held = (
        TelegramUpdate.objects.filter(state=TelegramUpdate.State.HELD, held_for__startswith="tg-user:")
        .values_list("held_for", flat=True).distinct()
    )
    told = 0
    now = timezone.now()
    for key in list(held):
        tg_id = int(key.split(":", 1)[1])
        with transaction.atomic():
            recent = UnlinkedNotice.objects.filter(telegram_user_id=tg_id, told_at__gt=now - NOTICE_AGAIN_AFTER)
            if recent.exists() or linked_user(tg_id) is not None:
                continue
            UnlinkedNotice.objects.update_or_create(telegram_user_id=tg_id, defaults={"told_at": now})
            telegram_send(
                chat_id=tg_id, purpose_key=f"unlinked:{tg_id}:{int(now.timestamp())}",
                text=_("Halo! Pesan Anda di grup forum belum bisa dicatat karena akun Telegram Anda belum ditautkan "
                       "ke akun SID Helpdesk.") + "\n\n" + how_to_link_text(),
            )
            told += 1
    return told


LINK_PAYLOAD = "tautkan"  # t.me/<bot>?start=tautkan: the link a held button press answers with


def how_to_link_text() -> str:
    return _("Untuk menautkan akun: masuk ke %(site)s, buka <b>Profil</b>, tekan <b>Tautkan Telegram</b>, lalu "
             "tekan Start di sini. Tombol yang Anda tekan di grup diterapkan begitu akun tertaut; pesan Anda di "
             "grup ditawarkan kembali untuk dikirim atau dibuang.") % {"site": escape(settings.SITE_URL)}


@periodic("telegram.tell_unlinked", every=timedelta(seconds=10))
def tell_unlinked_job() -> None:
    tell_unlinked()


# ----- commands -----------------------------------------------------------------------------------------------
@command("start", help=gettext_lazy("memulai bot / menautkan akun"), chats="private", hidden=True)
def start(ctx: Context) -> None:
    if not ctx.args:
        who = linked_user(ctx.user.id if ctx.user else None)
        hello = _("Halo, %(name)s!") % {"name": escape(who.display_name)} if who else _("Halo! Saya bot SID Helpdesk.")
        ctx.reply(hello + "\n\n" + help_text(ctx))
        return
    assert ctx.user is not None
    if ctx.args[0] == LINK_PAYLOAD:
        ctx.reply(how_to_link_text())
        return
    code = _take_code(ctx.args[0], LinkCode.Purpose.ACCOUNT)
    if code is None:
        raise UsageError(_("Tautan ini sudah dipakai atau kedaluwarsa. Buka halaman profil Anda di %(site)s dan "
                           "tekan \"Tautkan Telegram\" untuk mendapat tautan baru (berlaku 30 menit).")
                         % {"site": settings.SITE_URL})
    if not code.user.is_active:
        raise UsageError(_("Akun ini tidak aktif."))
    name = " ".join(filter(None, [ctx.user.first_name, ctx.user.last_name]))
    link_account(user=code.user, telegram_user_id=ctx.user.id, username=ctx.user.username or "", name=name)
    ctx.reply(_("Akun Telegram Anda sekarang tertaut ke <b>%(name)s</b> di SID Helpdesk. Ketik /bantuan untuk "
                "melihat apa yang bisa dilakukan di sini. Untuk melepas tautan, kirim /berhenti.")
              % {"name": escape(code.user.display_name)})


@command("berhenti", help=gettext_lazy("melepas tautan akun Telegram Anda"), chats="private")
def berhenti(ctx: Context) -> None:
    user = linked_user(ctx.user.id if ctx.user else None)
    if user is None:
        raise UsageError(_("Akun Telegram ini tidak tertaut ke akun mana pun."))
    ctx.reply(_("Lepas tautan Telegram dari akun <b>%(name)s</b>? Anda tidak akan menerima pemberitahuan di sini "
                "lagi.") % {"name": escape(user.display_name)},
              buttons=[[button(_("Ya, lepas tautan"), callback_data="berhenti:ya"),
                        button(_("Batal"), callback_data="berhenti:batal")]])


@callback_handler("berhenti")
def berhenti_confirm(ctx: Context) -> None:
    user = linked_user(ctx.user.id if ctx.user else None)
    choice = ((ctx.callback.data if ctx.callback else "") or "").split(":", 1)[-1]
    if choice != "ya":
        ctx.answer_callback(_("Dibatalkan. Tautan tetap."))
        return
    if user is None:
        raise UsageError(_("Akun Telegram ini tidak tertaut ke akun mana pun."))
    unlink_account(user=user)
    ctx.answer_callback()
    ctx.reply(_("Tautan dilepas. Anda tidak akan menerima pemberitahuan di sini lagi. Tautkan kembali kapan saja "
                "dari halaman profil."))


@command("hubungkan", help=gettext_lazy("menghubungkan grup ini ke forum: /hubungkan <kode>"), chats="group",
         allow_unknown_chat=True, admins_only=True)
def hubungkan(ctx: Context) -> None:
    if not ctx.args:
        raise Ask(_("Kirim kode dari halaman forum di web (khusus koordinator) sebagai balasan pada pesan ini."))
    if len(ctx.args) != 1:
        raise UsageError(_("Contoh: /hubungkan 1A2B3C4D5E. Kodenya ada di halaman forum di web (khusus "
                           "koordinator)."))
    code = _take_code(ctx.args[0].upper(), LinkCode.Purpose.FORUM)
    if code is None or code.forum is None:
        raise UsageError(_("Kode ini salah, sudah dipakai atau kedaluwarsa. Minta kode baru di halaman forum."))
    forum = code.forum
    forum_link_chat(forum=forum, chat_id=ctx.chat_id)
    ctx.reply(_("Grup ini sekarang terhubung ke forum <b>%(forum)s</b>. Tiket baru akan muncul di sini.")
              % {"forum": escape(forum.name)})
    outbox.enqueue(CHECK_KIND, {"chat_id": ctx.chat_id, "thread_id": ctx.thread_id},
                   key=f"{CHECK_KIND}:{ctx.chat_id}:{ctx.update_id}")


CHECK_KIND = "telegram.check_group_setup"


@outbox.handler(CHECK_KIND, atomic=False, max_attempts=5)
def check_setup_job(payload: dict[str, Any], job: OutboxJob) -> None:
    """After /hubungkan: can the bot see the group's messages? If not, tell the coordinator exactly what to change.
    (Topic rights are checked by telegram_refresh_chat, whose hook says so in the group.)"""
    from .client import get_client

    chat_id = int(payload["chat_id"])

    async def ask(bot: Any) -> tuple[str, bool]:
        me = await bot.get_me()
        member = await bot.get_chat_member(chat_id, me.id)
        return str(member.status), bool(me.can_read_all_group_messages)

    status, reads_all = get_client().run(ask)
    if status in {"administrator", "creator"} or reads_all:
        return
    name = escape(bot_username() or "sid_helpdesk_bot")
    text = _("⚠️ Bot belum bisa membaca pesan di grup ini, hanya perintah dan balasan pada pesannya sendiri. "
             "Koordinator, pilih salah satu:\n• jadikan @%(bot)s admin grup (Info grup → Administrator → Tambah "
             "admin), dengan hak <b>Kelola topik</b> bila grup memakai topik; atau\n• matikan <i>privacy mode</i> "
             "di @BotFather (/setprivacy → pilih @%(bot)s → Disable), lalu keluarkan bot dan tambahkan lagi.") % {
        "bot": name}
    with transaction.atomic():
        telegram_send(chat_id=chat_id, text=text, purpose_key=f"{CHECK_KIND}:{job.pk}",
                      thread_id=payload.get("thread_id"))




@on_chat_change
def _follow_the_group(change: ChatChange) -> None:
    """A forum's group migrated: follow it. A forum group where the bot may not manage topics: say so there."""
    if change.kind == "migrated" and change.new_chat_id:
        Forum.objects.filter(telegram_chat_id=change.chat_id).update(telegram_chat_id=change.new_chat_id)
    elif change.kind == "rights":
        chat = TelegramChat.objects.filter(chat_id=change.chat_id).first()
        if chat is None or not chat.is_forum or chat.can_manage_topics:
            return
        if not Forum.objects.filter(telegram_chat_id=change.chat_id).exists():
            return
        telegram_send(chat_id=change.chat_id, purpose_key=f"rights:{change.chat_id}:{timezone.now().timestamp()}",
                      text=str(NO_TOPICS))
