"""The sender: the outbox handler that delivers `OutboundMessage`s to Telegram, within its limits.

Per part of a request:
  1. book a slot in the shared flood-limit windows (limiter.py); a long wait re-schedules the job instead;
  2. commit `sending_part = i`                                   <- crash here: uncertain, see below
  3. call Telegram
  4. commit the part's message id (SentPart) and `parts_done`     <- only then is the job acknowledged
A worker that finds `sending_part` set cannot know whether that request reached Telegram. A message is then
never sent again: the part is recorded as uncertain (at most once), shown in the admin, and the remaining
parts go on. Edits and topic changes are idempotent and simply run again; a topic creation runs again too
(a second empty topic is better than a ticket without one). docs/telegram.md discusses the window.

Errors: 429 re-schedules this chat's job after `retry_after` and leaves other chats alone; 5xx and network
errors that prove the request never arrived go back to the outbox with backoff; "can't parse entities" is
retried as plain text; 403 marks the chat removed; a migrated group is recorded and the part re-sent to
the supergroup.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Any

import httpx
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from helpdesk.core import outbox
from helpdesk.core.models import OutboxJob

from . import chats, config, text
from .client import BotClient, departure, get_client
from .faults import crash_point
from .limiter import Limiter, get_limiter
from .models import OutboundMessage, SentPart
from .outbound import SEND_KIND

log = logging.getLogger(__name__)

INLINE_WAIT_MAX = 0.25  # seconds a worker may wait in place for a slot; longer waits re-schedule the job
Kind = OutboundMessage.Kind
State = OutboundMessage.State


@dataclass(frozen=True)
class Part:
    kind: str  # text, photo, document, edit, topic_create, topic_edit, topic_close, topic_reopen, callback
    text: str = ""
    parse_mode: str | None = None
    buttons: list[list[dict[str, str]]] | None = None
    media_path: str = ""

    def as_plain(self) -> Part:
        return replace(self, text=text.to_plain(self.text, self.parse_mode), parse_mode=None)


@dataclass
class Target:
    chat_id: int
    thread_id: int | None
    reply_to: int | None
    message_id: int | None  # edits


class Uncertain(Exception):
    """The request may have reached Telegram; it must not be sent again."""


def plan(outbound: OutboundMessage) -> list[Part]:
    """The Telegram calls a request needs, in order. Deterministic, so a retry continues where it stopped."""
    mode = outbound.parse_mode or None
    if outbound.kind == Kind.MESSAGE:
        body = outbound.text.strip()
        if outbound.media_kind == "album":
            caption = body if text.visible_length(body, mode) <= config.MAX_CAPTION else text.cut(
                text.to_plain(body, mode), config.MAX_CAPTION)
            return [Part("album", caption, mode if caption == body else None)]
        if outbound.media_kind:
            if text.visible_length(body, mode) <= config.MAX_CAPTION:
                return [Part(outbound.media_kind, body, mode, outbound.buttons, outbound.media_path)]
            chunks = text.split_text(body, mode, config.MAX_TEXT)
            media = Part(outbound.media_kind, "", None, None, outbound.media_path)
            return [media, *[Part("text", c, mode) for c in chunks[:-1]], Part("text", chunks[-1], mode, outbound.buttons)]
        chunks = text.split_text(body, mode, config.MAX_TEXT)
        return [*[Part("text", c, mode) for c in chunks[:-1]], Part("text", chunks[-1], mode, outbound.buttons)]
    if outbound.kind == Kind.EDIT:
        body = outbound.text
        if text.visible_length(body, mode) > config.MAX_TEXT:  # an edit cannot be split: shorten it
            body = text.to_plain(body, mode)[: config.MAX_TEXT - 1] + "…"
            mode = None
        return [Part("edit", body, mode, outbound.buttons)]
    if outbound.kind == Kind.CALLBACK_ANSWER:
        return [Part("callback", outbound.text)]
    return [Part(outbound.kind, outbound.text)]


def _markup(buttons: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup.de_json({"inline_keyboard": buttons}, None)


def _media(path: str, *, attach: bool = False) -> InputFile:
    """A stored file to upload. In an album each file must be attached (`attach://<name>` in the media list):
    python-telegram-bot drops the media field of an InputMedia whose file is not, and Telegram refuses the
    album ("there is no photo in the request")."""
    with default_storage.open(path, "rb") as fh:
        data = fh.read()
    return InputFile(data, filename=PurePosixPath(path).name, attach=attach)


def _album(part: Part, options: dict[str, Any]) -> list[InputMediaPhoto | InputMediaDocument]:
    items: list[InputMediaPhoto | InputMediaDocument] = []
    for index, (kind, path) in enumerate(options.get("media") or []):
        caption = part.text if index == 0 and part.text else None
        mode = part.parse_mode if caption else None
        if kind == "photo":
            items.append(InputMediaPhoto(_media(path, attach=True), caption=caption, parse_mode=mode))
        else:
            items.append(InputMediaDocument(_media(path, attach=True), caption=caption, parse_mode=mode))
    return items


def telegram_call(part: Part, target: Target, options: dict[str, Any]) -> Callable[[Bot], Awaitable[dict[str, Any]]]:
    """The coroutine that performs one part; it returns {"message_id", "thread_id"} of what it made."""
    reply = ReplyParameters(target.reply_to, allow_sending_without_reply=True) if target.reply_to else None
    markup: Any = _markup(part.buttons)
    if markup is None and options.get("force_reply"):
        markup = ForceReply(selective=True)
    common: dict[str, Any] = {"chat_id": target.chat_id, "message_thread_id": target.thread_id,
                              "reply_parameters": reply, "reply_markup": markup,
                              "disable_notification": bool(options.get("silent"))}
    media = _media(part.media_path) if part.kind in {"photo", "document"} else None
    album = _album(part, options) if part.kind == "album" else None

    async def call(bot: Bot) -> dict[str, Any]:
        box: list[float] = []
        departure.set(box)  # this task's own context: the request hook notes when the request goes out
        result = await perform(bot)
        return {**result, "left_at": box[0] if box else None}

    async def perform(bot: Bot) -> dict[str, Any]:
        if part.kind == "text":
            m = await bot.send_message(text=part.text, parse_mode=part.parse_mode,
                                       link_preview_options=LinkPreviewOptions(is_disabled=True), **common)
        elif part.kind == "album":
            assert album is not None
            common.pop("reply_markup")
            sent = await bot.send_media_group(media=album, **common)
            return {"message_id": sent[0].message_id, "thread_id": sent[0].message_thread_id}
        elif part.kind == "photo":
            assert media is not None
            m = await bot.send_photo(photo=media, caption=part.text or None, parse_mode=part.parse_mode, **common)
        elif part.kind == "document":
            assert media is not None
            m = await bot.send_document(document=media, caption=part.text or None, parse_mode=part.parse_mode,
                                        **common)
        elif part.kind == "edit":
            try:
                m = await bot.edit_message_text(  # type: ignore[assignment]
                    part.text, chat_id=target.chat_id, message_id=target.message_id, parse_mode=part.parse_mode,
                    reply_markup=_markup(part.buttons), link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
            except BadRequest as exc:
                if "not modified" not in exc.message.lower():
                    raise
            return {"message_id": target.message_id, "thread_id": None}
        elif part.kind == Kind.TOPIC_CREATE:
            icon = options.get("icon_color")
            topic = await bot.create_forum_topic(target.chat_id, part.text, icon_color=icon)
            return {"message_id": topic.message_thread_id, "thread_id": topic.message_thread_id}
        elif part.kind in {Kind.TOPIC_EDIT, Kind.TOPIC_CLOSE, Kind.TOPIC_REOPEN}:
            thread = int(target.thread_id or 0)
            try:
                if part.kind == Kind.TOPIC_EDIT:
                    await bot.edit_forum_topic(target.chat_id, thread, name=part.text)
                elif part.kind == Kind.TOPIC_CLOSE:
                    await bot.close_forum_topic(target.chat_id, thread)
                else:
                    await bot.reopen_forum_topic(target.chat_id, thread)
            except BadRequest as exc:
                if "topic_not_modified" not in exc.message.lower():
                    raise
            return {"message_id": None, "thread_id": thread}
        elif part.kind == "callback":
            await bot.answer_callback_query(options["callback_query_id"], text=part.text or None,
                                            show_alert=bool(options.get("show_alert")), url=options.get("url"))
            return {"message_id": None, "thread_id": None}
        else:
            raise ValueError(f"unknown part kind {part.kind!r}")
        return {"message_id": m.message_id, "thread_id": m.message_thread_id}

    return call


def never_arrived(exc: NetworkError) -> bool:
    """True when the failure proves Telegram never got the request (safe to send again)."""
    cause = exc.__cause__
    if cause is None or isinstance(cause, TelegramError):
        return True  # Telegram (or its proxy) answered with an error status (5xx), perhaps not in JSON
    return isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


class Sender:
    def __init__(self, client: BotClient | None = None, limiter: Limiter | None = None) -> None:
        self.client = client or get_client()
        self.limiter = limiter or get_limiter()

    # ----- bookkeeping --------------------------------------------------------------------------------
    def _update(self, outbound: OutboundMessage, **fields: Any) -> None:
        OutboundMessage.objects.filter(pk=outbound.pk).update(**fields)
        for name, value in fields.items():
            if not hasattr(value, "resolve_expression"):
                setattr(outbound, name, value)

    def _finish(self, outbound: OutboundMessage, state: str, error: str = "") -> None:
        fields: dict[str, Any] = {"state": state, "finished_at": timezone.now(), "sending_part": None}
        if error:
            fields["last_error"] = error[:2000]
            log.warning("telegram %s %s: %s", outbound.kind, outbound.key, error)
        self._update(outbound, **fields)

    def _record_part(self, outbound: OutboundMessage, index: int, chat_id: int, result: dict[str, Any],
                     *, last: bool) -> None:
        with transaction.atomic():
            if result.get("message_id") is not None:
                SentPart.objects.bulk_create(
                    [SentPart(outbound=outbound, part=index, chat_id=chat_id, message_id=result["message_id"],
                              thread_id=result.get("thread_id"))],
                    ignore_conflicts=True,
                )
            fields: dict[str, Any] = {"parts_done": index + 1, "sending_part": None, "sent_chat_id": chat_id}
            if outbound.kind == Kind.TOPIC_CREATE:
                fields["result_thread_id"] = result.get("thread_id")
            if last:  # one commit for the last part and the end of the request
                fields.update(state=State.UNCERTAIN if outbound.uncertain_parts else State.SENT,
                              finished_at=timezone.now())
            self._update(outbound, **fields)

    def _recover(self, outbound: OutboundMessage) -> None:
        """A previous attempt died (or lost its connection) after a part's request may have left."""
        index = int(outbound.sending_part or 0)
        if outbound.kind == Kind.MESSAGE:
            log.warning("telegram %s part %s: outcome unknown after a crash; not sent again", outbound.key, index)
            self._update(outbound, parts_done=index + 1, sending_part=None,
                         uncertain_parts=[*outbound.uncertain_parts, index],
                         last_error=f"part {index}: the worker stopped while it was being sent")
        else:
            self._update(outbound, sending_part=None)  # idempotent, or better twice than never: run it again

    # ----- resolving references -------------------------------------------------------------------------
    def _target(self, outbound: OutboundMessage, chat_id: int) -> Target:
        thread_id = outbound.thread_id
        if outbound.thread_ref:
            topic = OutboundMessage.objects.filter(key=outbound.thread_ref).values_list("result_thread_id", flat=True)
            thread_id = topic.first()
            if thread_id is None:
                log.warning("telegram %s: topic %s has no thread id; sending to the main chat",
                            outbound.key, outbound.thread_ref)
        # Message ids count per chat: once a group became a supergroup, an id from the old group names some other
        # message there (or none), so a reply or an edit aimed at the old group's message must not follow it.
        same_chat = chat_id == outbound.chat_id
        reply_to = outbound.reply_to if same_chat else None
        if outbound.reply_ref:
            reply_to = self._sent_in(outbound.reply_ref, chat_id)
        message_id = outbound.target_message_id if same_chat else None
        if outbound.target_ref:
            message_id = self._sent_in(outbound.target_ref, chat_id)
        return Target(chat_id=chat_id, thread_id=thread_id, reply_to=reply_to, message_id=message_id)

    @staticmethod
    def _sent_in(key: str, chat_id: int) -> int | None:
        """The id of the last message the request `key` sent, if it sent it to `chat_id`."""
        return (
            SentPart.objects.filter(outbound__key=key, chat_id=chat_id)
            .order_by("-part").values_list("message_id", flat=True).first()
        )

    # ----- delivery ---------------------------------------------------------------------------------------
    def deliver(self, outbound: OutboundMessage) -> float | None:
        """Deliver what is left of `outbound`. Returns seconds to wait before trying again, or None when done."""
        if outbound.is_final:
            return None
        if outbound.sending_part is not None:
            self._recover(outbound)
        parts = plan(outbound)
        chat_id = chats.writable_chat_id(outbound.chat_id) if outbound.chat_id else 0
        if chat_id is None:
            self._finish(outbound, State.SKIPPED, "the bot is no longer in this chat")
            return None
        target = self._target(outbound, chat_id)
        if outbound.kind == Kind.EDIT and target.message_id is None:
            self._finish(outbound, State.SKIPPED, "the message to edit was never recorded as sent (in this chat)")
            return None
        if outbound.kind in {Kind.TOPIC_EDIT, Kind.TOPIC_CLOSE, Kind.TOPIC_REOPEN} and target.thread_id is None:
            self._finish(outbound, State.SKIPPED, "the topic was never created")
            return None
        index = outbound.parts_done
        detours = 0  # the same part again at once (plain text, supergroup, main chat): a few at most
        while index < len(parts):
            if detours > 4:
                self._finish(outbound, State.FAILED, "too many retries of one part; giving up")
                return None
            part = parts[index].as_plain() if outbound.plain_fallback and parts[index].parse_mode else parts[index]
            booking = ""
            if part.kind in {"text", "photo", "document", "album", Kind.TOPIC_CREATE}:
                booked, wait, booking = self.limiter.reserve(target.chat_id, inline_max=INLINE_WAIT_MAX)
                if not booked:
                    return wait
                if wait > 0:
                    time.sleep(wait)
            self._update(outbound, sending_part=index, attempts=F("attempts") + 1, parts_total=len(parts))
            crash_point("before_send")
            call = telegram_call(part, target, outbound.options)
            leaving = time.time()
            try:
                try:
                    result = self.client.run(call)
                except BaseException:
                    self.limiter.confirm(target.chat_id, booking, leaving)
                    raise
            except RetryAfter as exc:
                self._update(outbound, sending_part=None, last_error=str(exc))
                seconds = exc.retry_after.total_seconds() if isinstance(exc.retry_after, timedelta) else float(
                    exc.retry_after)
                self.limiter.block(target.chat_id, seconds)
                log.info("telegram %s: 429, retrying chat %s after %ss", outbound.key, target.chat_id, seconds)
                return seconds
            except ChatMigrated as exc:
                self._update(outbound, sending_part=None)
                chats.chat_mark_migrated(target.chat_id, int(exc.new_chat_id))
                target.chat_id = int(exc.new_chat_id)
                target.reply_to = None  # an id of the old group's message: some other message in the supergroup
                if part.kind == "edit":
                    self._finish(outbound, State.SKIPPED, "the message to edit is in the group before it became "
                                                          "a supergroup")
                    return None
                detours += 1
                continue
            except Forbidden as exc:
                self._update(outbound, sending_part=None)
                if target.chat_id:
                    chats.chat_mark_removed(target.chat_id, exc.message)
                self._finish(outbound, State.FAILED, exc.message)
                return None
            except BadRequest as exc:
                self._update(outbound, sending_part=None)
                message = exc.message.lower()
                if "can't parse entities" in message and part.parse_mode:
                    log.warning("telegram %s: formatting refused (%s); sending plain text", outbound.key, exc.message)
                    self._update(outbound, plain_fallback=True)
                    detours += 1
                    continue
                if "thread not found" in message and target.thread_id and part.kind in {"text", "photo", "document",
                                                                                        "album"}:
                    target.thread_id = None  # the topic was deleted by hand: the main chat is better than nothing
                    detours += 1
                    continue
                if "not enough rights" in message or "not a forum" in message:
                    chats.chat_set_rights(target.chat_id, is_admin=None, can_manage_topics=False)
                self._finish(outbound, State.FAILED, exc.message)
                return None
            except (TimedOut, NetworkError) as exc:
                if "entity too large" in str(exc).lower():  # a file over Telegram's upload limit (50 MB)
                    self._update(outbound, sending_part=None)
                    self._finish(outbound, State.FAILED, str(exc))
                    return None
                if never_arrived(exc):
                    self._update(outbound, sending_part=None, last_error=str(exc))
                    raise
                # The request left and no answer came back: treat it like a crash in the same window.
                self._update(outbound, last_error=f"{type(exc).__name__}: {exc}")
                if outbound.kind != Kind.MESSAGE:
                    self._update(outbound, sending_part=None)
                    raise  # idempotent: the outbox runs it again after a backoff
                outbound.refresh_from_db()
                self._recover(outbound)
                index = outbound.parts_done
                continue
            except TelegramError as exc:
                self._update(outbound, sending_part=None)
                self._finish(outbound, State.FAILED, str(exc))
                return None
            crash_point("after_send")
            with transaction.atomic():  # one commit: the message id, the part count, the limiter's record
                self._record_part(outbound, index, target.chat_id, result, last=index == len(parts) - 1)
                self.limiter.confirm(target.chat_id, booking, result.get("left_at") or leaving)
            crash_point("after_record")
            index += 1
        if not outbound.is_final:  # nothing was left to send (all parts done, or the last one uncertain)
            self._finish(outbound, State.UNCERTAIN if outbound.uncertain_parts else State.SENT)
        return None


def defer_job(job: OutboxJob, seconds: float) -> None:
    """Put the running job back for later without spending one of its attempts (a wait is not a failure)."""
    OutboxJob.objects.filter(id=job.id, status=OutboxJob.Status.RUNNING, locked_by=job.locked_by).update(
        status=OutboxJob.Status.PENDING,
        run_after=timezone.now() + timedelta(seconds=max(0.0, seconds)),
        attempts=F("attempts") - 1,
        locked_until=None,
    )


@outbox.handler(SEND_KIND, atomic=False, max_attempts=10)
def send_job(payload: dict[str, Any], job: OutboxJob) -> None:
    outbound = OutboundMessage.objects.filter(pk=int(payload.get("outbound") or 0)).first()
    if outbound is None:
        log.error("telegram send job %s: outbound %s is gone", job.key, payload.get("outbound"))
        return
    if not config.enabled():
        # No token (a development machine): nothing can be sent, and retrying would only park the job.
        if not outbound.is_final:
            OutboundMessage.objects.filter(pk=outbound.pk, state=State.QUEUED).update(
                state=State.SKIPPED, finished_at=timezone.now(), last_error="TELEGRAM_BOT_TOKEN is not set"
            )
        return
    wait = Sender().deliver(outbound)
    if wait is not None:
        defer_job(job, wait)
