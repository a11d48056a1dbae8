"""The dispatcher seam: commands, message handlers and button handlers register here.

    @command("tiket", help=_("ringkasan tiket: /tiket <nomor>"), chats="group")
    def tiket(ctx: Context) -> None:
        if not ctx.args:
            raise Ask(_("Nomor tiketnya? Contoh: NTB-000123."))  # a bare command asks for its argument
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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from telegram import CallbackQuery, Message, Update, User

from . import config
from .outbound import Buttons, MessageRef, telegram_answer_callback, telegram_send

log = logging.getLogger(__name__)

ChatScope = Literal["private", "group", "any"]


class UsageError(Exception):
    """Raised by a handler for wrong arguments or a refusal; its text is the reply the user gets."""


class Ask(UsageError):
    """Raised by a command that lacks its argument: the text is a question, sent so that the person's reply to
    it runs the command again with the answer as its argument (a command picked from the "/" menu arrives bare)."""


class HoldUpdate(Exception):
    """Raised by a handler to keep the update and apply it later (`intake.release_held(held_for)`). `after`
    runs once the handler's writes are rolled back, in the transaction that records the hold (e.g. to answer
    a held button press at once)."""

    def __init__(self, held_for: str, reason: str = "", after: Callable[[], None] | None = None) -> None:
        super().__init__(reason or held_for)
        self.held_for = held_for
        self.reason = reason
        self.after = after


class NotYet(Exception):
    """Raised by a handler when what the update refers to is not recorded yet (a reply to the bot's message whose
    sending the worker has not committed): the update stays waiting and is applied again shortly
    (`intake.apply_pending`), instead of being taken as a message about nothing."""


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
    replayed: bool = False  # applied later than it came (a held update, released when its sender linked)
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
              subject: str = "", quote: bool = True, silent: bool = False,
              force_reply: bool = False) -> MessageRef:
        """Answer in the same chat (and topic), as a reply to the message that came in. Answers in groups are
        short-lived chatter: pass `silent=True` unless the group should hear it."""
        reply_to = self.message.message_id if (quote and self.message and not self.is_private) else None
        return telegram_send(chat_id=self.chat_id, text=text, purpose_key=self._key(), thread_id=self.thread_id,
                             reply_to=reply_to, buttons=buttons, parse_mode=parse_mode, subject=subject,
                             silent=silent, force_reply=force_reply)

    def send_private(self, text: str, *, buttons: Buttons | None = None, parse_mode: str | None = "HTML",
                     subject: str = "") -> MessageRef | None:
        """Write to the sender in private (works only if they have started the bot; otherwise Telegram says 403)."""
        if self.user is None:
            return None
        return telegram_send(chat_id=self.user.id, text=text, purpose_key=self._key(), buttons=buttons,
                             parse_mode=parse_mode, subject=subject)

    def answer_callback(self, text: str = "", *, show_alert: bool = False, url: str = "") -> None:
        if self.callback is not None and not self.answered and not self.replayed:
            telegram_answer_callback(callback_query_id=self.callback.id, text=text, show_alert=show_alert, url=url)
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
    admins_only: bool = False  # shown in the "/" menu of group admins only


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
_EDIT_HANDLERS: dict[str, Callable[[Context], bool]] = {}


def command(name: str, *, help: Any, chats: ChatScope = "any", allow_unknown_chat: bool = False,
            hidden: bool = False, admins_only: bool = False) -> Callable[[Handler], Handler]:
    """Register `/name`. `chats` limits where it works; unknown (unlinked) groups only reach it with
    `allow_unknown_chat` (e.g. /hubungkan, which is how a group becomes known)."""
    name = name.lower().lstrip("/")

    def register(fn: Handler) -> Handler:
        existing = _COMMANDS.get(name)
        if existing is not None and existing.fn is not fn:
            raise ValueError(f"telegram command /{name} is registered twice")
        _COMMANDS[name] = Command(name, fn, help, chats, allow_unknown_chat, hidden, admins_only)
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


def edit_handler(name: str) -> Callable[[Callable[[Context], bool]], Callable[[Context], bool]]:
    """Register a handler for edited messages; it returns True when it took the edit."""

    def register(fn: Callable[[Context], bool]) -> Callable[[Context], bool]:
        existing = _EDIT_HANDLERS.get(name)
        if existing is not None and existing is not fn:
            raise ValueError(f"telegram edit handler {name!r} is registered twice")
        _EDIT_HANDLERS[name] = fn
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
    """The bot's @username from getMe, cached per process and in the cache table; "" when unknown (always without a
    token: there is no bot to ask, and that is not a fault)."""
    if not config.enabled():
        return ""
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


def start_link(payload: str) -> str:
    """A `t.me/<bot>?start=<payload>` deep link (the only kind of URL a button's answer may carry)."""
    return f"https://t.me/{bot_username() or 'sid_helpdesk_bot'}?start={payload}"
