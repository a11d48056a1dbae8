"""The dispatcher: one update in, the registered handler run (bots/handlers.py holds the registries).

The generic rules for bad input live here, so that no handler has to repeat them: edited messages go to edit
handlers only, messages from bots and anonymous admins are ignored, service messages update the chat's status,
stickers and voice notes get a short help in private chats, files over 20 MB get the limit (in groups only
when meant for the bot); in groups, unknown commands are ignored unless addressed to this bot (/cmd@botname),
and unlinked groups only reach commands that allow them. Captions are read like text. A reply to a question the bot asked (`Ask`) runs the command it asked
for. Any private message marks that chat reachable again (a 403 earlier is over). Everything is logged.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from telegram import Message, Update

from . import chats, config
from .handlers import (
    _CALLBACKS,
    _COMMANDS,
    _EDIT_HANDLERS,
    _MESSAGE_HANDLERS,
    _SERVICE_HOOKS,
    Ask,
    ChatScope,
    Context,
    HoldUpdate,
    UsageError,
    bot_username,
    is_known_group,
    start_link,
)
from .models import TelegramUpdate
from .outbound import telegram_answer_callback, telegram_send

log = logging.getLogger(__name__)


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


def dispatch(raw: dict[str, Any], update_id: int, *, replayed: bool = False) -> Outcome:
    raw = as_last_edited(raw, update_id)
    try:
        update = Update.de_json(raw, None)
    except Exception as exc:  # a shape python-telegram-bot cannot read is bad input, not a crash
        return _ignored(f"unreadable update: {type(exc).__name__}: {exc}"[:200], update_id)
    if update.edited_message is not None:
        return _edited(update, raw, update_id)
    if update.edited_channel_post:
        return _ignored("edited message", update_id)
    if update.my_chat_member is not None:
        return _my_chat_member(raw["my_chat_member"], update_id)
    if update.callback_query is not None:
        return _callback(update, raw, update_id, replayed)
    if update.message is not None:
        return _message(update, raw, update_id, replayed)
    return _ignored(f"update kind not handled: {', '.join(k for k in raw if k != 'update_id')}", update_id)


TEXT_KEYS = ("text", "entities", "caption", "caption_entities")


def as_last_edited(raw: dict[str, Any], update_id: int) -> dict[str, Any]:
    """A message read as its latest edit that was applied before it: an edit that came before its message (a
    webhook's parallel requests) or while the message was held (its sender not linked yet) found nothing to
    change, and the message must not then be taken with the text its author has since corrected. (An edit not
    applied yet will reach the edit handlers after it, as usual.) An edit is always a later update (a higher
    update_id) than its message, which keeps the look-up to a few rows."""
    message = raw.get("message")
    chat = message.get("chat") if isinstance(message, dict) else None
    if not isinstance(message, dict) or not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
        return raw
    edits = [
        payload["edited_message"]
        for payload in TelegramUpdate.objects.filter(update_id__gt=update_id, chat_id=chat["id"], kind="edited_message")
        .exclude(state=TelegramUpdate.State.RECEIVED).values_list("payload", flat=True)
        if isinstance(payload.get("edited_message"), dict)
        and payload["edited_message"].get("message_id") == message.get("message_id")
    ]
    if not edits:
        return raw
    latest = max(edits, key=lambda edit: edit.get("edit_date") or 0)
    merged = {k: v for k, v in message.items() if k not in TEXT_KEYS}
    merged.update({k: latest[k] for k in TEXT_KEYS if k in latest})
    return {**raw, "message": merged}


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


def _context(update: Update, raw: dict[str, Any], update_id: int, replayed: bool = False) -> Context:
    message = update.effective_message
    chat = update.effective_chat
    chat_type = str(chat.type) if chat else ""
    chat_id = chat.id if chat else 0
    thread_id = message.message_thread_id if message is not None and message.is_topic_message else None
    known = chat_type == "private" or (bool(chat_id) and is_known_group(chat_id))
    return Context(update_id=update_id, raw=raw, update=update, chat_id=chat_id, chat_type=chat_type,
                   user=update.effective_user, message=update.message or update.edited_message or None,
                   callback=update.callback_query, thread_id=thread_id, known_chat=known, replayed=replayed)


def _run(fn: Callable[[Context], Any], ctx: Context) -> Any:
    """Run a handler in a savepoint: a refusal (UsageError) leaves none of its writes behind."""
    with transaction.atomic():
        return fn(ctx)


def _scope_ok(scope: ChatScope, ctx: Context) -> bool:
    return scope == "any" or (scope == "private") == ctx.is_private


def _callback(update: Update, raw: dict[str, Any], update_id: int, replayed: bool = False) -> Outcome:
    ctx = _context(update, raw, update_id, replayed)
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
        if replayed:  # the press's answer is long gone: say it privately
            ctx.send_private(str(exc), parse_mode=None)
        else:
            ctx.answer_callback(str(exc), show_alert=True)
        return _ignored(f"button refused: {exc}", update_id)
    except HoldUpdate as hold:
        if not replayed:  # answer the press now, with the link that opens the bot to start linking
            query_id = query.id
            hold.after = lambda: telegram_answer_callback(
                callback_query_id=query_id, text=_("Tautkan akun Telegram Anda dulu: buka bot, lalu ikuti "
                                                   "langkahnya. Tombol ini diterapkan setelah tertaut."),
                url=start_link("tautkan"))
        raise
    ctx.answer_callback()  # stop the spinner even if the handler said nothing
    return Outcome("applied", f"button {handler.prefix}")


def _too_big(message: Message) -> bool:
    sizes = [getattr(getattr(message, key), "file_size", None) for key in FILE_KEYS if getattr(message, key)]
    if message.photo:
        sizes.append(message.photo[-1].file_size)
    return any(size and size > config.MAX_DOWNLOAD_BYTES for size in sizes)


def _edited(update: Update, raw: dict[str, Any], update_id: int) -> Outcome:
    ctx = _context(update, raw, update_id)
    if ctx.message is None or (ctx.message.from_user is not None and ctx.message.from_user.is_bot):
        return _ignored("edited message", update_id)
    if ctx.is_group and not ctx.known_chat:
        return _ignored("edited message in unknown group", update_id)
    for name, fn in _EDIT_HANDLERS.items():
        if _run(fn, ctx):
            return Outcome("applied", f"edit handler {name}")
    return _ignored("edited message", update_id)


def _message(update: Update, raw: dict[str, Any], update_id: int, replayed: bool = False) -> Outcome:
    message = update.message
    assert message is not None
    data = raw.get("message") or {}
    ctx = _context(update, raw, update_id, replayed)
    chats.chat_seen(data.get("chat") or {})
    if ctx.is_private and not replayed:
        chats.chat_mark_active(ctx.chat_id, _("pesan dari pengguna"))  # a 403 earlier is over: they wrote to us
    if message.from_user is not None and message.from_user.is_bot:
        return _ignored("message from a bot", update_id)
    if message.sender_chat is not None:
        return _ignored("message sent on behalf of a chat", update_id)
    if not CONTENT_KEYS & set(data):
        return _service(ctx, data, update_id)
    if not ctx.known_chat and ctx.is_group:
        command = _parse_command(message.text or message.caption or "") or _answer_to_question(ctx)
        found = _COMMANDS.get(command[0].rstrip("@")) if command else None
        if not (found and found.allow_unknown_chat):
            return _ignored(f"message in unknown group {ctx.chat_id}", update_id)
    unsupported = next((key for key in UNSUPPORTED_MEDIA if data.get(key)), None)
    if unsupported is None and ctx.is_private:  # only photos and documents become attachments ("Wajib diisi." else)
        unsupported = next((key for key in ("video", "audio") if data.get(key)), None)
    if unsupported:
        if ctx.is_private:
            ctx.reply(_("Maaf, bot belum bisa membaca stiker, pesan suara atau video. Tulis pesan teks, "
                        "atau ketik /bantuan."))
        return _ignored(f"{unsupported} not supported", update_id)
    if _too_big(message):
        if _meant_for_bot(ctx, message):  # not a word on the big videos people share among themselves
            ctx.reply(_("Berkas ini lebih dari 20 MB, jadi bot tidak bisa mengambilnya. Kecilkan berkasnya, atau "
                        "unggah lewat web: %(url)s") % {"url": settings.SITE_URL}, silent=ctx.is_group)
        return _ignored("file over 20 MB", update_id)
    command = _parse_command(message.text or message.caption or "") or _answer_to_question(ctx)
    if command is not None:
        return _command(ctx, command, update_id)
    for handler in _MESSAGE_HANDLERS:
        if not _scope_ok(handler.chats, ctx) or (not ctx.known_chat and not handler.allow_unknown_chat):
            continue
        try:
            if _run(handler.fn, ctx):
                return Outcome("applied", f"message handler {handler.name}")
        except UsageError as exc:
            ctx.reply(str(exc), parse_mode=None, silent=ctx.is_group)
            return _ignored(f"{handler.name} refused: {exc}", update_id)
    if ctx.is_private:
        ctx.reply(_("Saya belum mengerti pesan ini. Ketik /bantuan untuk melihat apa yang bisa saya bantu."))
    return _ignored("no handler took the message", update_id)


def _meant_for_bot(ctx: Context, message: Message) -> bool:
    """Whether a message speaks to the bot: anything in a private chat; in a group a command, a reply to the bot
    or a message in a topic the bot opened (Telegram makes those replies to the bot's topic-created message)."""
    if ctx.is_private or (message.text or message.caption or "").startswith("/"):
        return True
    reply = message.reply_to_message
    return reply is not None and reply.from_user is not None and reply.from_user.id == config.bot_id()


def _parse_command(text: str) -> tuple[str, str] | None:
    """('name', 'rest of the text') for '/name@bot rest', or None; ('', '') for a command to another bot.
    A name addressed to this bot keeps the '@' mark ('name@'), so that an unknown one is still answered."""
    if not text.startswith("/"):
        return None
    head, _sep, rest = text.partition(" ")
    if "\n" in head:
        head, _nl, more = head.partition("\n")
        rest = f"{more} {rest}".strip()
    name, _at, target = head[1:].partition("@")
    if target:
        ours = bot_username()
        if ours and target.lower() != ours.lower():
            return ("", "")
        return (name.lower() + "@", rest.strip())
    return (name.lower(), rest.strip())


def _answer_to_question(ctx: Context) -> tuple[str, str] | None:
    """A reply to a question the bot asked for a command's missing argument (`Ask`): that command, answered."""
    reply = ctx.message.reply_to_message if ctx.message is not None else None
    if reply is None or ctx.user is None or reply.from_user is None or not reply.from_user.is_bot:
        return None
    from .outbound import outbound_by_message

    sent = outbound_by_message(ctx.chat_id, reply.message_id)
    if sent is None or not sent.subject.startswith("ask:"):
        return None
    _ask, name, user_id = [*sent.subject.split(":"), "", ""][:3]
    if user_id != str(ctx.user.id) or ctx.message is None:
        return None
    return (name, (ctx.message.text or ctx.message.caption or "").strip())


def _command(ctx: Context, parsed: tuple[str, str], update_id: int) -> Outcome:
    name, rest = parsed
    if not name:
        if ctx.is_private:  # "/" alone, or /x@otherbot: in a private chat only we can answer
            ctx.reply(_("Saya belum mengerti pesan ini. Ketik /bantuan untuk melihat apa yang bisa saya bantu."))
        return _ignored("command for another bot", update_id)
    addressed = name.endswith("@")
    name = name.rstrip("@")
    ctx.command = name
    ctx.arg_text = rest
    try:
        ctx.args = shlex.split(rest)
    except ValueError:
        ctx.args = rest.split()
    found = _COMMANDS.get(name)
    if found is None:
        if ctx.is_group and not addressed:  # other bots' commands live in groups too (/warn, /ban)
            return _ignored(f"unknown command /{name} (not addressed to this bot)", update_id)
        from .builtin import unknown_command

        unknown_command(ctx)
        return _ignored(f"unknown command /{name}", update_id)
    if not _scope_ok(found.chats, ctx):
        if ctx.is_group and not addressed:  # /start, /status: other bots in the group have them too
            return _ignored(f"/{name} is for private chats (not addressed to this bot)", update_id)
        where = _("obrolan pribadi dengan bot") if found.chats == "private" else _("grup forum")
        ctx.reply(_("Perintah /%(name)s hanya bisa dipakai di %(where)s.") % {"name": name, "where": where},
                  silent=ctx.is_group)
        return _ignored(f"/{name} in the wrong kind of chat", update_id)
    try:
        _run(found.fn, ctx)
    except Ask as ask:
        user_id = ctx.user.id if ctx.user else 0
        telegram_send(chat_id=ctx.chat_id, text=str(ask), parse_mode=None, purpose_key=ctx._key(),
                      thread_id=ctx.thread_id, subject=f"ask:{name}:{user_id}", force_reply=True,
                      reply_to=ctx.message.message_id if ctx.message and ctx.is_group else None, silent=ctx.is_group)
        return _ignored(f"/{name}: asked for its argument", update_id)
    except UsageError as exc:
        ctx.reply(str(exc), parse_mode=None, silent=ctx.is_group)
        return _ignored(f"/{name} refused: {exc}", update_id)
    except HoldUpdate as hold:
        if ctx.is_group and not ctx.replayed and hold.after is None:
            # A command is said to the bot: answer it where it was said. The private note (tell_unlinked) cannot
            # reach someone who never opened the bot, and then the command would vanish without a word.
            def tell() -> None:
                ctx.reply(_("Akun Telegram Anda belum ditautkan ke akun SID Helpdesk, jadi perintah ini belum "
                            "dijalankan. Buka %(link)s untuk menautkannya; setelah itu perintah ini ditawarkan "
                            "kembali untuk dikirim.") % {"link": start_link("tautkan")}, parse_mode=None, silent=True)

            hold.after = tell
        raise
    return Outcome("applied", f"/{name}")


def _service(ctx: Context, data: dict[str, Any], update_id: int) -> Outcome:
    bot_id = config.bot_id()
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
