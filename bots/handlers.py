"""The dispatcher seam: commands, message handlers and button handlers register here.

    @command("tiket", help=_("ringkasan tiket: /tiket <nomor>"), chats="group")
    def tiket(ctx: Context) -> None:
        if not ctx.args:
            raise UsageError(_("Pakai: /tiket <nomor>"))
        ctx.reply(...)

Handlers run inside the transaction that marks the update applied: their database writes and the replies
they queue (`ctx.reply`, which goes through the outbox) happen exactly once. They must not call Telegram
or other slow services directly; queue an outbox job for that (downloads: bots/files.py).

The generic rules for bad input live in `dispatch()`, so that no handler has to repeat them: edited
messages, messages from bots and anonymous admins, service messages, stickers and voice notes, files over
20 MB, unknown groups and unknown commands are ignored or answered with help, and always logged.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from telegram import CallbackQuery, Message, Update, User

from . import chats, config
from .outbound import Buttons, MessageRef, telegram_answer_callback, telegram_send
from .text import escape

log = logging.getLogger(__name__)

ChatScope = Literal["private", "group", "any"]


class UsageError(Exception):
    """Raised by a handler for wrong arguments or a refusal; its text is the reply the user gets."""


class HoldUpdate(Exception):
    """Raised by a handler to keep the update and apply it later (`intake.release_held(held_for)`)."""

    def __init__(self, held_for: str, reason: str = "") -> None:
        super().__init__(reason or held_for)
        self.held_for = held_for
        self.reason = reason


@dataclass
class Context:
    update_id: int
    raw: dict[str, Any]
    update: Update
    chat_id: int
    chat_type: str
    user: User | None
    message: Message | None = None
    callback: CallbackQuery | None = None
    thread_id: int | None = None
    known_chat: bool = False
    command: str = ""
    args: list[str] = field(default_factory=list)
    arg_text: str = ""
    answered: bool = False
    _sent: int = 0

    @property
    def is_private(self) -> bool:
        return self.chat_type == "private"

    @property
    def is_group(self) -> bool:
        return self.chat_type in {"group", "supergroup"}

    def _key(self) -> str:
        self._sent += 1
        return f"reply:{self.update_id}:{self._sent}"

    def reply(self, text: str, *, buttons: Buttons | None = None, parse_mode: str | None = "HTML",
              subject: str = "", quote: bool = True) -> MessageRef:
        """Answer in the same chat (and topic), as a reply to the message that came in."""
        reply_to = self.message.message_id if (quote and self.message and not self.is_private) else None
        return telegram_send(chat_id=self.chat_id, text=text, purpose_key=self._key(), thread_id=self.thread_id,
                             reply_to=reply_to, buttons=buttons, parse_mode=parse_mode, subject=subject)

    def send_private(self, text: str, *, buttons: Buttons | None = None, parse_mode: str | None = "HTML",
                     subject: str = "") -> MessageRef | None:
        """Write to the sender in private (works only if they have started the bot; otherwise Telegram says 403)."""
        if self.user is None:
            return None
        return telegram_send(chat_id=self.user.id, text=text, purpose_key=self._key(), buttons=buttons,
                             parse_mode=parse_mode, subject=subject)

    def answer_callback(self, text: str = "", *, show_alert: bool = False) -> None:
        if self.callback is not None and not self.answered:
            telegram_answer_callback(callback_query_id=self.callback.id, text=text, show_alert=show_alert)
            self.answered = True


Handler = Callable[[Context], Any]


@dataclass(frozen=True)
class Command:
    name: str
    fn: Handler
    help: Any  # a lazy translation
    chats: ChatScope
    allow_unknown_chat: bool
    hidden: bool


@dataclass(frozen=True)
class MessageHandler:
    name: str
    fn: Callable[[Context], bool]
    chats: ChatScope
    allow_unknown_chat: bool
    order: int


@dataclass(frozen=True)
class CallbackHandler:
    prefix: str
    fn: Handler
    allow_unknown_chat: bool


_COMMANDS: dict[str, Command] = {}
_MESSAGE_HANDLERS: list[MessageHandler] = []
_CALLBACKS: dict[str, CallbackHandler] = {}
_SERVICE_HOOKS: list[Handler] = []


def command(name: str, *, help: Any, chats: ChatScope = "any", allow_unknown_chat: bool = False,
            hidden: bool = False) -> Callable[[Handler], Handler]:
    """Register `/name`. `chats` limits where it works; unknown (unlinked) groups only reach it with
    `allow_unknown_chat` (e.g. /hubungkan, which is how a group becomes known)."""
    name = name.lower().lstrip("/")

    def register(fn: Handler) -> Handler:
        existing = _COMMANDS.get(name)
        if existing is not None and existing.fn is not fn:
            raise ValueError(f"telegram command /{name} is registered twice")
        _COMMANDS[name] = Command(name, fn, help, chats, allow_unknown_chat, hidden)
        return fn

    return register


def message_handler(name: str, *, chats: ChatScope = "any", allow_unknown_chat: bool = False,
                    order: int = 100) -> Callable[[Callable[[Context], bool]], Callable[[Context], bool]]:
    """Register a handler for non-command messages; it returns True when it took the message.
    Handlers are tried by `order`, then by name."""

    def register(fn: Callable[[Context], bool]) -> Callable[[Context], bool]:
        _MESSAGE_HANDLERS[:] = [h for h in _MESSAGE_HANDLERS if h.name != name]
        _MESSAGE_HANDLERS.append(MessageHandler(name, fn, chats, allow_unknown_chat, order))
        _MESSAGE_HANDLERS.sort(key=lambda h: (h.order, h.name))
        return fn

    return register


def callback_handler(prefix: str, *, allow_unknown_chat: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler for inline buttons whose callback_data is `prefix` or starts with `prefix:`."""

    def register(fn: Handler) -> Handler:
        existing = _CALLBACKS.get(prefix)
        if existing is not None and existing.fn is not fn:
            raise ValueError(f"telegram callback prefix {prefix!r} is registered twice")
        _CALLBACKS[prefix] = CallbackHandler(prefix, fn, allow_unknown_chat)
        return fn

    return register


def service_handler(fn: Handler) -> Handler:
    """Register a hook for service messages (bot added to a group, members joining, title changes)."""
    if fn not in _SERVICE_HOOKS:
        _SERVICE_HOOKS.append(fn)
    return fn


def commands_for(chat_type: str) -> list[Command]:
    scope = "private" if chat_type == "private" else "group"
    return sorted(
        (c for c in _COMMANDS.values() if not c.hidden and c.chats in {"any", scope}), key=lambda c: c.name
    )


# ----- which groups are known ----------------------------------------------------------------------------
def _forum_chat(chat_id: int) -> bool:
    from helpdesk.accounts.models import Forum

    return Forum.objects.filter(telegram_chat_id=chat_id, is_active=True).exists()


_chat_resolver: list[Callable[[int], bool]] = [_forum_chat]


def set_chat_resolver(fn: Callable[[int], bool]) -> None:
    """Replace the rule that says whether a group is linked (the default: a forum has this chat id)."""
    _chat_resolver[0] = fn


def is_known_group(chat_id: int) -> bool:
    return _chat_resolver[0](chat_id)


# ----- the bot's own name, for /command@botname ----------------------------------------------------------------
_username: dict[str, str] = {}


def bot_username() -> str:
    """The bot's @username from getMe, cached per process and in the cache table; "" when unknown."""
    key = config.bot_key()
    if key in _username:
        return _username[key]
    from django.core.cache import cache

    cached = cache.get(f"telegram:username:{key}")
    if cached:
        _username[key] = cached
        return str(cached)
    try:
        from .client import get_client

        name = get_client().username()
    except Exception:
        log.warning("telegram: getMe failed; /command@name is accepted for any name", exc_info=True)
        return ""
    _username[key] = name
    cache.set(f"telegram:username:{key}", name, 24 * 3600)
    return name


# ----- dispatch ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    state: str  # applied, ignored, held (TelegramUpdate.State)
    note: str = ""
    held_for: str = ""


CONTENT_KEYS = {"text", "caption", "photo", "document", "sticker", "voice", "video", "video_note", "audio",
                "animation", "contact", "location", "venue", "poll", "dice", "game", "story"}
UNSUPPORTED_MEDIA = ("sticker", "voice", "video_note", "animation", "dice", "poll", "location", "contact", "venue",
                     "game", "story")
FILE_KEYS = ("document", "video", "audio")


def _ignored(note: str, update_id: int) -> Outcome:
    log.info("telegram update %s ignored: %s", update_id, note)
    return Outcome("ignored", note)


def dispatch(raw: dict[str, Any], update_id: int) -> Outcome:
    try:
        update = Update.de_json(raw, None)
    except Exception as exc:  # a shape python-telegram-bot cannot read is bad input, not a crash
        return _ignored(f"unreadable update: {type(exc).__name__}: {exc}"[:200], update_id)
    if update.edited_message or update.edited_channel_post:
        return _ignored("edited message", update_id)
    if update.my_chat_member is not None:
        return _my_chat_member(raw["my_chat_member"], update_id)
    if update.callback_query is not None:
        return _callback(update, raw, update_id)
    if update.message is not None:
        return _message(update, raw, update_id)
    return _ignored(f"update kind not handled: {', '.join(k for k in raw if k != 'update_id')}", update_id)


def _my_chat_member(data: dict[str, Any], update_id: int) -> Outcome:
    chat = data.get("chat") or {}
    chat_id = int(chat.get("id", 0))
    chats.chat_seen(chat)
    new = data.get("new_chat_member") or {}
    status = new.get("status", "")
    actor = (data.get("from") or {}).get("first_name", "")
    if status in {"kicked", "left"}:
        what = _("diblokir pengguna") if chat.get("type") == "private" else _("dikeluarkan oleh %(who)s") % {
            "who": actor}
        chats.chat_mark_removed(chat_id, f"bot {what}")
    else:
        chats.chat_mark_active(chat_id, _("bot ditambahkan lagi oleh %(who)s") % {"who": actor})
        if chat.get("type") != "private":
            chats.chat_set_rights(chat_id, is_admin=status in {"administrator", "creator"},
                                  can_manage_topics=new.get("can_manage_topics"))
    return Outcome("applied", f"bot status: {status}")


def _context(update: Update, raw: dict[str, Any], update_id: int) -> Context:
    message = update.effective_message
    chat = update.effective_chat
    chat_type = str(chat.type) if chat else ""
    chat_id = chat.id if chat else 0
    thread_id = message.message_thread_id if message is not None and message.is_topic_message else None
    known = chat_type == "private" or (bool(chat_id) and is_known_group(chat_id))
    return Context(update_id=update_id, raw=raw, update=update, chat_id=chat_id, chat_type=chat_type,
                   user=update.effective_user, message=update.message or None, callback=update.callback_query,
                   thread_id=thread_id, known_chat=known)


def _run(fn: Callable[[Context], Any], ctx: Context) -> Any:
    """Run a handler in a savepoint: a refusal (UsageError) leaves none of its writes behind."""
    with transaction.atomic():
        return fn(ctx)


def _scope_ok(scope: ChatScope, ctx: Context) -> bool:
    return scope == "any" or (scope == "private") == ctx.is_private


def _callback(update: Update, raw: dict[str, Any], update_id: int) -> Outcome:
    ctx = _context(update, raw, update_id)
    query = update.callback_query
    assert query is not None
    data = query.data or ""
    handler = _CALLBACKS.get(data.split(":", 1)[0])
    if handler is None:
        ctx.answer_callback(_("Tombol ini sudah tidak berlaku."))
        return _ignored(f"unknown button {data!r}", update_id)
    if not ctx.known_chat and not handler.allow_unknown_chat:
        ctx.answer_callback(_("Grup ini belum terhubung ke forum mana pun."))
        return _ignored(f"button in unknown chat {ctx.chat_id}", update_id)
    try:
        _run(handler.fn, ctx)
    except UsageError as exc:
        ctx.answer_callback(str(exc), show_alert=True)
        return _ignored(f"button refused: {exc}", update_id)
    ctx.answer_callback()  # stop the spinner even if the handler said nothing
    return Outcome("applied", f"button {handler.prefix}")


def _too_big(message: Message) -> bool:
    sizes = [getattr(getattr(message, key), "file_size", None) for key in FILE_KEYS if getattr(message, key)]
    if message.photo:
        sizes.append(message.photo[-1].file_size)
    return any(size and size > config.MAX_DOWNLOAD_BYTES for size in sizes)


def _message(update: Update, raw: dict[str, Any], update_id: int) -> Outcome:
    message = update.message
    assert message is not None
    data = raw.get("message") or {}
    ctx = _context(update, raw, update_id)
    chats.chat_seen(data.get("chat") or {})
    if message.from_user is not None and message.from_user.is_bot:
        return _ignored("message from a bot", update_id)
    if message.sender_chat is not None:
        return _ignored("message sent on behalf of a chat", update_id)
    if not CONTENT_KEYS & set(data):
        return _service(ctx, data, update_id)
    if not ctx.known_chat and ctx.is_group:
        command = _parse_command(message.text or message.caption or "")
        found = _COMMANDS.get(command[0]) if command else None
        if not (found and found.allow_unknown_chat):
            return _ignored(f"message in unknown group {ctx.chat_id}", update_id)
    unsupported = next((key for key in UNSUPPORTED_MEDIA if data.get(key)), None)
    if unsupported:
        if ctx.is_private:
            ctx.reply(_("Maaf, bot belum bisa membaca stiker, pesan suara atau video. Tulis pesan teks, "
                        "atau ketik /bantuan."))
        return _ignored(f"{unsupported} not supported", update_id)
    if _too_big(message):
        ctx.reply(_("Berkas ini lebih dari 20 MB, jadi bot tidak bisa mengambilnya. Kecilkan berkasnya, atau "
                    "unggah lewat web: %(url)s") % {"url": settings.SITE_URL})
        return _ignored("file over 20 MB", update_id)
    command = _parse_command(message.text or "")
    if command is not None:
        return _command(ctx, command, update_id)
    for handler in _MESSAGE_HANDLERS:
        if not _scope_ok(handler.chats, ctx) or (not ctx.known_chat and not handler.allow_unknown_chat):
            continue
        try:
            if _run(handler.fn, ctx):
                return Outcome("applied", f"message handler {handler.name}")
        except UsageError as exc:
            ctx.reply(escape(str(exc)))
            return _ignored(f"{handler.name} refused: {exc}", update_id)
    if ctx.is_private:
        ctx.reply(_("Saya belum mengerti pesan ini. Ketik /bantuan untuk melihat apa yang bisa saya bantu."))
    return _ignored("no handler took the message", update_id)


def _parse_command(text: str) -> tuple[str, str] | None:
    """('name', 'rest of the text') for '/name@bot rest', or None; ('', '') for a command to another bot."""
    if not text.startswith("/"):
        return None
    head, _sep, rest = text.partition(" ")
    name, _at, target = head[1:].partition("@")
    if target:
        ours = bot_username()
        if ours and target.lower() != ours.lower():
            return ("", "")
    return (name.lower(), rest.strip())


def _command(ctx: Context, parsed: tuple[str, str], update_id: int) -> Outcome:
    name, rest = parsed
    if not name:
        return _ignored("command for another bot", update_id)
    ctx.command = name
    ctx.arg_text = rest
    try:
        ctx.args = shlex.split(rest)
    except ValueError:
        ctx.args = rest.split()
    found = _COMMANDS.get(name)
    if found is None:
        from .builtin import unknown_command

        unknown_command(ctx)
        return _ignored(f"unknown command /{name}", update_id)
    if not _scope_ok(found.chats, ctx):
        where = _("obrolan pribadi dengan bot") if found.chats == "private" else _("grup forum")
        ctx.reply(_("Perintah /%(name)s hanya bisa dipakai di %(where)s.") % {"name": name, "where": where})
        return _ignored(f"/{name} in the wrong kind of chat", update_id)
    try:
        _run(found.fn, ctx)
    except UsageError as exc:
        ctx.reply(escape(str(exc)))
        return _ignored(f"/{name} refused: {exc}", update_id)
    return Outcome("applied", f"/{name}")


def _service(ctx: Context, data: dict[str, Any], update_id: int) -> Outcome:
    bot_id = int(config.token().split(":", 1)[0]) if config.token().split(":", 1)[0].isdigit() else None
    if data.get("migrate_to_chat_id"):
        chats.chat_mark_migrated(ctx.chat_id, int(data["migrate_to_chat_id"]))
    elif data.get("migrate_from_chat_id"):
        chats.chat_mark_migrated(int(data["migrate_from_chat_id"]), ctx.chat_id)
    elif any(m.get("id") == bot_id for m in data.get("new_chat_members") or []):
        chats.chat_mark_active(ctx.chat_id, _("bot ditambahkan ke grup"))
    elif (data.get("left_chat_member") or {}).get("id") == bot_id:
        chats.chat_mark_removed(ctx.chat_id, _("bot keluar dari grup"))
    for hook in _SERVICE_HOOKS:
        hook(ctx)
    kind = next((k for k in data if k not in {"message_id", "from", "chat", "date", "message_thread_id",
                                              "is_topic_message", "reply_to_message"}), "service")
    log.info("telegram update %s: service message %s", update_id, kind)
    return Outcome("applied", f"service message {kind}")
