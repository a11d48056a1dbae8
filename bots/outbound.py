"""Services that queue messages to Telegram, and selectors that find what was sent.

Call them inside the transaction of the change they announce: they only record an `OutboundMessage` and an
outbox job, so a rolled-back change sends nothing and a committed one is delivered (see sender.py). Each
request is idempotent by `purpose_key`: queueing the same key twice sends once.

Requests to one chat are delivered in the order they were queued. A request can point at the result of an
earlier one that has not been sent yet: `thread_id=TopicRef(key)` posts into the topic that the request
`key` creates, `reply_to=MessageRef(key)` replies to the message that `key` sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from helpdesk.core import outbox

from .models import OutboundMessage, SentPart

SEND_KIND = "telegram.send"
MAX_KEY = 190


@dataclass(frozen=True)
class MessageRef:
    """The message (the last part, which carries the buttons) that the request `key` sent."""

    key: str


@dataclass(frozen=True)
class TopicRef:
    """The forum topic that the request `key` created."""

    key: str


Button = dict[str, str]
Buttons = list[list[Button]]


def button(text: str, *, callback_data: str | None = None, url: str | None = None) -> Button:
    if (callback_data is None) == (url is None):
        raise ValueError("a button needs exactly one of callback_data or url")
    if callback_data is not None:
        return {"text": text, "callback_data": callback_data}
    return {"text": text, "url": str(url)}


def _check_buttons(buttons: Buttons | None) -> None:
    for row in buttons or []:
        for b in row:
            if not b.get("text"):
                raise ValueError("every button needs a text")
            data = b.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ValueError(f"callback_data must be 1-64 bytes, got {data!r}")
            if (data is None) == (b.get("url") is None):
                raise ValueError("a button needs exactly one of callback_data or url")


def _check_key(purpose_key: str) -> None:
    if not purpose_key or len(purpose_key) > MAX_KEY:
        raise ValueError(f"purpose_key must be 1-{MAX_KEY} characters")


def _queue(row: OutboundMessage, *, ordered: bool = True) -> None:
    with transaction.atomic():
        OutboundMessage.objects.bulk_create([row], ignore_conflicts=True)
        row_id = OutboundMessage.objects.filter(key=row.key).values_list("id", flat=True).get()
        outbox.enqueue(
            SEND_KIND,
            {"outbound": row_id},
            key=f"telegram:{row.key}",
            ordering_key=f"telegram:{row.chat_id}" if ordered else "",
        )


def _thread(value: int | TopicRef | None) -> dict[str, Any]:
    if isinstance(value, TopicRef):
        return {"thread_ref": value.key}
    return {"thread_id": value}


def telegram_send(
    *,
    chat_id: int,
    text: str,
    purpose_key: str,
    thread_id: int | TopicRef | None = None,
    reply_to: int | MessageRef | None = None,
    buttons: Buttons | None = None,
    photo: str | None = None,
    document: str | None = None,
    parse_mode: str | None = "HTML",
    subject: str = "",
    silent: bool = False,
    force_reply: bool = False,
) -> MessageRef:
    """Queue a message. `silent` sends it without a notification (routine updates); link previews are always
    off. `force_reply` opens the reply field for the person it answers (a question waiting for its answer). `photo`/`document` are paths in Django's default storage; `text` is then the caption
    (or, when longer than a caption may be, follows the file). `subject` tags what the message is about
    ("ticket:42"), so that replies to it can be traced back (`outbound_by_message`)."""
    _check_key(purpose_key)
    _check_buttons(buttons)
    if photo and document:
        raise ValueError("send a photo or a document, not both")
    if not text.strip() and not (photo or document):
        raise ValueError("a message needs a text or a file")
    _queue(
        OutboundMessage(
            key=purpose_key,
            subject=subject,
            kind=OutboundMessage.Kind.MESSAGE,
            chat_id=chat_id,
            text=text,
            parse_mode=parse_mode or "",
            buttons=buttons,
            media_kind="photo" if photo else "document" if document else "",
            media_path=photo or document or "",
            reply_to=reply_to if isinstance(reply_to, int) else None,
            reply_ref=reply_to.key if isinstance(reply_to, MessageRef) else "",
            options=_flags(silent=silent, force_reply=force_reply),
            **_thread(thread_id),
        )
    )
    return MessageRef(purpose_key)


def _flags(**flags: bool) -> dict[str, Any]:
    return {name: True for name, on in flags.items() if on}


def telegram_send_album(
    *,
    chat_id: int,
    files: list[tuple[str, str]],
    purpose_key: str,
    caption: str = "",
    thread_id: int | TopicRef | None = None,
    reply_to: int | MessageRef | None = None,
    parse_mode: str | None = "HTML",
    subject: str = "",
    silent: bool = True,
) -> MessageRef:
    """Queue 2-10 files as one album (sendMediaGroup): `files` are (kind, path) with kind "photo" or "document";
    photos and documents cannot share an album. The caption rides on the first file."""
    _check_key(purpose_key)
    kinds = {kind for kind, _path in files}
    if not 2 <= len(files) <= 10 or not kinds <= {"photo", "document"} or len(kinds) != 1:
        raise ValueError("an album is 2-10 photos, or 2-10 documents")
    _queue(
        OutboundMessage(
            key=purpose_key,
            subject=subject,
            kind=OutboundMessage.Kind.MESSAGE,
            chat_id=chat_id,
            text=caption,
            parse_mode=parse_mode or "",
            media_kind="album",
            reply_to=reply_to if isinstance(reply_to, int) else None,
            reply_ref=reply_to.key if isinstance(reply_to, MessageRef) else "",
            options={"media": [list(f) for f in files], **_flags(silent=silent)},
            **_thread(thread_id),
        )
    )
    return MessageRef(purpose_key)


def telegram_edit_text(
    *,
    chat_id: int,
    message: int | MessageRef,
    text: str,
    purpose_key: str,
    buttons: Buttons | None = None,
    parse_mode: str | None = "HTML",
    subject: str = "",
) -> None:
    """Queue an edit of a message the bot sent (e.g. the ticket message when the ticket changes state)."""
    _check_key(purpose_key)
    _check_buttons(buttons)
    _queue(
        OutboundMessage(
            key=purpose_key,
            subject=subject,
            kind=OutboundMessage.Kind.EDIT,
            chat_id=chat_id,
            text=text,
            parse_mode=parse_mode or "",
            buttons=buttons,
            target_message_id=message if isinstance(message, int) else None,
            target_ref=message.key if isinstance(message, MessageRef) else "",
        )
    )


def telegram_create_topic(
    *, chat_id: int, name: str, purpose_key: str, icon_color: int | None = None, subject: str = ""
) -> TopicRef:
    """Queue the creation of a forum topic; post into it with `thread_id=TopicRef(purpose_key)`."""
    _check_key(purpose_key)
    if not 1 <= len(name) <= 128:
        raise ValueError("a topic name is 1-128 characters")
    _queue(
        OutboundMessage(
            key=purpose_key,
            subject=subject,
            kind=OutboundMessage.Kind.TOPIC_CREATE,
            chat_id=chat_id,
            text=name,
            options={"icon_color": icon_color} if icon_color else {},
        )
    )
    return TopicRef(purpose_key)


def _topic_change(kind: str, chat_id: int, topic: int | TopicRef, purpose_key: str, name: str = "") -> None:
    _check_key(purpose_key)
    if kind == OutboundMessage.Kind.TOPIC_EDIT and not 1 <= len(name) <= 128:
        raise ValueError("a topic name is 1-128 characters")
    _queue(OutboundMessage(key=purpose_key, kind=kind, chat_id=chat_id, text=name, **_thread(topic)))


def telegram_edit_topic(*, chat_id: int, topic: int | TopicRef, name: str, purpose_key: str) -> None:
    _topic_change(OutboundMessage.Kind.TOPIC_EDIT, chat_id, topic, purpose_key, name)


def telegram_close_topic(*, chat_id: int, topic: int | TopicRef, purpose_key: str) -> None:
    _topic_change(OutboundMessage.Kind.TOPIC_CLOSE, chat_id, topic, purpose_key)


def telegram_reopen_topic(*, chat_id: int, topic: int | TopicRef, purpose_key: str) -> None:
    _topic_change(OutboundMessage.Kind.TOPIC_REOPEN, chat_id, topic, purpose_key)


def telegram_answer_callback(*, callback_query_id: str, text: str = "", show_alert: bool = False,
                             url: str = "") -> None:
    """Answer a button press (stops the spinner on the user's button; `text` shows as a toast). `url` may only
    be a `t.me/<bot>?start=...` link: Telegram then opens the private chat with the bot."""
    _queue(
        OutboundMessage(
            key=f"callback:{callback_query_id}",
            kind=OutboundMessage.Kind.CALLBACK_ANSWER,
            chat_id=0,
            text=text[:200],
            options={"callback_query_id": callback_query_id, "show_alert": show_alert, **({"url": url} if url else {})},
        ),
        ordered=False,
    )


# ----- selectors ----------------------------------------------------------------------------------------
def outbound_by_message(chat_id: int, message_id: int) -> OutboundMessage | None:
    """The request that sent this Telegram message (replies to bot messages are traced back this way)."""
    part = SentPart.objects.select_related("outbound").filter(chat_id=chat_id, message_id=message_id).first()
    return part.outbound if part else None


def sent_message_id(ref: MessageRef) -> int | None:
    """The id of the last part the request sent, or None (not sent yet, failed, or uncertain)."""
    return (
        SentPart.objects.filter(outbound__key=ref.key)
        .order_by("-part")
        .values_list("message_id", flat=True)
        .first()
    )


def topic_thread_id(ref: TopicRef) -> int | None:
    return (
        OutboundMessage.objects.filter(key=ref.key, kind=OutboundMessage.Kind.TOPIC_CREATE)
        .values_list("result_thread_id", flat=True)
        .first()
    )
