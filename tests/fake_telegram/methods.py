"""The Bot API methods of the fake, each checked the way Telegram checks it.

Parameters arrive as strings (query string, form or multipart) or typed values (JSON); `Params` reads both.
A method returns its `result` or raises `ApiError`, which the server wraps in Telegram's error envelope.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from typing import Any

from .markup import ParseError, parse, utf16_len
from .world import DEFAULT_ALLOWED, ApiError, Chat, StoredFile, World, bad

MAX_TEXT = 4096
MAX_CAPTION = 1024
Upload = tuple[str, str, bytes]  # file name, content type, content


class Params:
    def __init__(self, raw: dict[str, Any], files: dict[str, Upload]) -> None:
        self.raw = raw
        self.files = files

    def has(self, name: str) -> bool:
        return name in self.raw and self.raw[name] not in (None, "")

    def str(self, name: str, *, required: bool = False) -> str | None:
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise bad(f"{name} is empty" if name != "text" else "message text is empty")
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def int(self, name: str, *, required: bool = False) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise bad(f"parameter \"{name}\" is required")
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad(f"invalid {name} specified") from None

    def bool(self, name: str) -> bool:
        value = self.raw.get(name)
        if isinstance(value, str):
            return value.lower() in {"true", "1"}
        return bool(value)

    def json(self, name: str) -> Any:
        value = self.raw.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise bad(f"can't parse {name} JSON object") from None
        return value


METHODS: dict[str, Callable[[World, Params], Any]] = {}


def method(fn: Callable[[World, Params], Any]) -> Callable[[World, Params], Any]:
    METHODS[fn.__name__.removeprefix("m_").lower()] = fn
    return fn


# ----- bot and updates --------------------------------------------------------------------------------------
@method
def m_getMe(world: World, p: Params) -> Any:
    return {**world.bot.as_api(), "can_join_groups": True, "can_read_all_group_messages": not world.privacy_mode,
            "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}


def _set_allowed(world: World, p: Params) -> None:
    allowed = p.json("allowed_updates")
    if allowed is not None:
        world.allowed_updates = list(allowed) if allowed else list(DEFAULT_ALLOWED)


@method
def m_getUpdates(world: World, p: Params) -> Any:
    offset = p.int("offset")
    limit = max(1, min(100, p.int("limit") or 100))
    timeout = max(0, p.int("timeout") or 0)
    with world.changed:
        if world.webhook["url"]:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        _set_allowed(world, p)
        world.poll_generation += 1
        generation = world.poll_generation
        if world.polling:
            world.changed.notify_all()  # the older long poll ends with a conflict
        if offset is not None:
            if offset < 0:
                while len(world.updates) > -offset:
                    world.updates.popleft()
            else:
                while world.updates and world.updates[0]["update_id"] < offset:
                    world.updates.popleft()
        deadline = time.monotonic() + timeout
        world.polling += 1
        try:
            while not world.updates:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                world.changed.wait(remaining)
                if world.poll_generation != generation:
                    raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                        "make sure that only one bot instance is running")
        finally:
            world.polling -= 1
        return list(world.updates)[:limit]


@method
def m_setWebhook(world: World, p: Params) -> Any:
    url = p.str("url") or ""
    if url and not url.startswith(("http://", "https://")):
        raise bad("invalid webhook URL specified")
    secret = p.str("secret_token")
    if secret and (len(secret) > 256 or not all(c.isalnum() or c in "_-" for c in secret)):
        raise bad("secret token contains unallowed characters")
    with world.changed:
        _set_allowed(world, p)
        if p.bool("drop_pending_updates"):
            world.updates.clear()
        world.webhook = {"url": url, "secret_token": secret or "", "has_custom_certificate": False,
                         "max_connections": p.int("max_connections") or 40,
                         "allowed_updates": list(world.allowed_updates)}
        world.changed.notify_all()
    return True


@method
def m_deleteWebhook(world: World, p: Params) -> Any:
    with world.changed:
        if p.bool("drop_pending_updates"):
            world.updates.clear()
        world.webhook = {"url": ""}
        world.changed.notify_all()
    return True


@method
def m_getWebhookInfo(world: World, p: Params) -> Any:
    with world.lock:
        info: dict[str, Any] = {"url": world.webhook["url"], "has_custom_certificate": False,
                                "pending_update_count": len(world.updates) if world.webhook["url"] else 0}
        if world.webhook["url"]:
            info["max_connections"] = world.webhook.get("max_connections", 40)
            info["allowed_updates"] = world.webhook.get("allowed_updates", [])
            if world.webhook.get("last_error_date"):
                info["last_error_date"] = world.webhook["last_error_date"]
                info["last_error_message"] = world.webhook["last_error_message"]
        return info


# ----- sending ------------------------------------------------------------------------------------------------
def _writable_chat(world: World, p: Params) -> Chat:
    raw_id = p.raw.get("chat_id")
    user = world.users.get(int(raw_id)) if str(raw_id).lstrip("-").isdigit() else None
    if user is not None and int(raw_id) not in world.chats and not user.is_bot:
        raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
    chat = world.chat(raw_id)
    if chat.type == "private":
        user = world.users[chat.id]
        if user.blocked_bot:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not user.started_bot:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat
    if chat.migrated_to is not None:
        raise bad("group chat was upgraded to a supergroup chat", migrate_to_chat_id=chat.migrated_to)
    kind = "group chat" if chat.type == "group" else "supergroup chat"
    if chat.bot_status == "kicked":
        raise ApiError(403, f"Forbidden: bot was kicked from the {kind}")
    if chat.bot_status == "left":
        raise ApiError(403, f"Forbidden: bot is not a member of the {kind}")
    return chat


def _formatted(p: Params, field: str, limit: int) -> dict[str, Any]:
    raw = p.str(field)
    if raw is None:
        return {}
    try:
        text, entities = parse(raw, p.str("parse_mode"))
    except ParseError as exc:
        raise bad(f"can't parse entities: {exc}") from None
    if field == "text" and not text.strip():
        raise bad("message text is empty")
    if utf16_len(text) > limit:
        raise bad("message is too long" if field == "text" else "message caption is too long")
    result: dict[str, Any] = {field: text}
    if entities:
        result["entities" if field == "text" else "caption_entities"] = entities
    return result


def _keyboard(p: Params) -> dict[str, Any] | None:
    markup = p.json("reply_markup")
    if not markup:
        return None
    if "inline_keyboard" not in markup:
        return None  # reply keyboards are shown to users, not stored on the message
    for row in markup["inline_keyboard"]:
        for button in row:
            if not button.get("text"):
                raise bad("text buttons are unallowed in the inline keyboard")
            actions = [k for k in ("url", "callback_data", "switch_inline_query", "web_app", "login_url",
                                   "copy_text", "pay", "callback_game", "switch_inline_query_current_chat",
                                   "switch_inline_query_chosen_chat") if k in button]
            if len(actions) != 1:
                raise bad("can't parse inline keyboard button: exactly one of the optional fields must be used")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise bad("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
                raise bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    return {"inline_keyboard": markup["inline_keyboard"]}


def _thread_and_reply(world: World, chat: Chat, p: Params) -> dict[str, Any]:
    content: dict[str, Any] = {}
    thread_id = p.int("message_thread_id")
    if thread_id is not None:
        if chat.is_forum:
            topic = chat.topics.get(thread_id)
            if topic is None:
                raise bad("message thread not found")
            if topic.closed:
                raise bad("TOPIC_CLOSED")
            content["is_topic_message"] = True
        elif thread_id not in chat.messages:
            raise bad("message thread not found")
        content["message_thread_id"] = thread_id
    reply = p.json("reply_parameters") or {}
    if not reply and p.has("reply_to_message_id"):
        reply = {"message_id": p.int("reply_to_message_id"),
                 "allow_sending_without_reply": p.bool("allow_sending_without_reply")}
    if reply:
        target = chat.messages.get(int(reply.get("message_id", 0)))
        if target is None:
            if not reply.get("allow_sending_without_reply"):
                raise bad("message to be replied not found")
        else:
            content["reply_to_message"] = {k: v for k, v in target.items() if k != "reply_to_message"}
    elif thread_id is not None and chat.is_forum:
        content["reply_to_message"] = dict(chat.messages[thread_id])
    return content


def _send(world: World, chat: Chat, p: Params, content: dict[str, Any]) -> dict[str, Any]:
    content.update(_thread_and_reply(world, chat, p))
    markup = _keyboard(p)
    world.check_limits(chat)
    message = world.new_message(chat, world.bot, reply_markup=markup, **content)
    return message


@method
def m_sendMessage(world: World, p: Params) -> Any:
    with world.lock:
        chat = _writable_chat(world, p)
        if p.str("text") is None:
            raise bad("message text is empty")
        return _send(world, chat, p, _formatted(p, "text", MAX_TEXT))


def _upload(world: World, p: Params, field: str, prefix: str, max_size: int) -> tuple[StoredFile, str, str]:
    upload = p.files.get(field)
    if upload is not None:
        name, content_type, data = upload
        if len(data) > max_size:
            raise ApiError(413, "Request Entity Too Large")
        return world.store_file(data, prefix=prefix, name=name), name, content_type
    reference = p.str(field)
    if not reference:
        raise bad(f"there is no {field} in the request")
    if reference.startswith("attach://"):
        attached = p.files.get(reference.removeprefix("attach://"))
        if attached is None:
            raise bad("wrong file identifier/HTTP URL specified")
        name, content_type, data = attached
        return world.store_file(data, prefix=prefix, name=name), name, content_type
    stored = world.files.get(reference)
    if stored is None:
        raise bad("wrong file identifier/HTTP URL specified")
    return stored, stored.file_path.rsplit("/", 1)[-1], "application/octet-stream"


@method
def m_sendPhoto(world: World, p: Params) -> Any:
    with world.lock:
        chat = _writable_chat(world, p)
        content = _formatted(p, "caption", MAX_CAPTION)
        stored, _, _ = _upload(world, p, "photo", "photos", 10 * 1024 * 1024)
        try:
            content["photo"] = world.photo_sizes(stored)
        except Exception:
            raise bad("IMAGE_PROCESS_FAILED") from None
        return _send(world, chat, p, content)


@method
def m_sendDocument(world: World, p: Params) -> Any:
    with world.lock:
        chat = _writable_chat(world, p)
        content = _formatted(p, "caption", MAX_CAPTION)
        stored, name, content_type = _upload(world, p, "document", "documents", 50 * 1024 * 1024)
        content["document"] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                               "file_name": name, "mime_type": content_type, "file_size": stored.size}
        return _send(world, chat, p, content)


@method
def m_editMessageText(world: World, p: Params) -> Any:
    with world.lock:
        if p.has("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        chat = _writable_chat(world, p)
        message_id = p.int("message_id", required=True)
        message = chat.messages.get(message_id or 0)
        if message is None:
            raise bad("message to edit not found")
        if message["from"]["id"] != world.bot.id:
            raise bad("message can't be edited")
        if "text" not in message:
            raise bad("there is no text in the message to edit")
        if p.str("text") is None:
            raise bad("message text is empty")
        content = _formatted(p, "text", MAX_TEXT)
        markup = _keyboard(p)
        if (content["text"] == message["text"] and content.get("entities") == message.get("entities")
                and markup == message.get("reply_markup")):
            raise bad("message is not modified: specified new message content and reply markup are exactly "
                      "the same as a current content and reply markup of the message")
        message.pop("entities", None)
        message.pop("reply_markup", None)
        message.update(content)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = world.now()
        return dict(message)


@method
def m_deleteMessage(world: World, p: Params) -> Any:
    with world.lock:
        chat = _writable_chat(world, p)
        message_id = p.int("message_id", required=True) or 0
        message = chat.messages.get(message_id)
        if message is None:
            raise bad("message to delete not found")
        if message["from"]["id"] != world.bot.id and not chat.bot_can_delete_messages:
            raise bad("message can't be deleted")
        del chat.messages[message_id]
        return True


@method
def m_sendChatAction(world: World, p: Params) -> Any:
    with world.lock:
        _writable_chat(world, p)
        return True


# ----- callbacks, chats, members, files ------------------------------------------------------------------------------
@method
def m_answerCallbackQuery(world: World, p: Params) -> Any:
    with world.lock:
        query_id = p.str("callback_query_id") or ""
        query = world.callbacks.get(query_id)
        if query is None or query.get("answered"):
            raise bad("query is too old and response timeout expired or query ID is invalid")
        text = p.str("text") or ""
        if len(text) > 200:
            raise bad("MESSAGE_TOO_LONG")
        query["answered"] = True
        world.callback_answers.append({"callback_query_id": query_id, "text": text,
                                       "show_alert": p.bool("show_alert"), "user_id": query["from"]["id"]})
        return True


@method
def m_getChat(world: World, p: Params) -> Any:
    with world.lock:
        chat = world.chat(p.raw.get("chat_id"))
        if chat.type != "private":
            _writable_chat(world, p)
        return {**chat.as_api(), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False,
                                        "gifts_from_channels": False}}


@method
def m_getChatMember(world: World, p: Params) -> Any:
    with world.lock:
        chat = world.chat(p.raw.get("chat_id"))
        user_id = p.int("user_id", required=True) or 0
        if user_id == world.bot.id:
            return world._bot_member(chat)
        user = world.users.get(user_id)
        if user is None:
            raise bad("user not found")
        status = chat.members.get(user_id, "left")
        member: dict[str, Any] = {"status": status, "user": user.as_api()}
        if status == "creator":
            member["is_anonymous"] = False
        if status == "kicked":
            member["until_date"] = 0
        return member


@method
def m_getFile(world: World, p: Params) -> Any:
    with world.lock:
        stored = world.files.get(p.str("file_id") or "")
        if stored is None:
            raise bad("invalid file_id")
        if stored.size > world.MAX_DOWNLOAD:
            raise bad("file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_size": stored.size,
                "file_path": stored.file_path}


@method
def m_sendMediaGroup(world: World, p: Params) -> Any:
    """2-10 photos (or 2-10 documents) as one album; each gets a message with the same media_group_id."""
    media = p.json("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad("wrong number of messages to send" if isinstance(media, list) else "media is empty")
    kinds = {item.get("type") for item in media}
    if not kinds <= {"photo", "document", "video", "audio"} or ("document" in kinds and len(kinds) > 1):
        raise bad("media of different types can't be mixed" if len(kinds) > 1 else "unsupported media type")
    with world.lock:
        chat = _writable_chat(world, p)
        where = _thread_and_reply(world, chat, p)
        group_id = str(next(world.media_group_ids))
        world.check_limits(chat)
        sent = []
        for item in media:
            item_params = Params({**item, "parse_mode": item.get("parse_mode")}, p.files)
            content = _formatted(item_params, "caption", MAX_CAPTION)
            kind = item["type"]
            stored, name, content_type = _upload(world, Params({kind: item.get("media")}, p.files), kind,
                                                 "photos" if kind == "photo" else "documents", 50 * 1024 * 1024)
            if kind == "photo":
                content["photo"] = world.photo_sizes(stored)
            else:
                content["document"] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                                       "file_name": name, "mime_type": content_type, "file_size": stored.size}
            sent.append(world.new_message(chat, world.bot, media_group_id=group_id, **where, **content))
        return [dict(m) for m in sent]


def image_bytes(color: str = "red", size: tuple[int, int] = (32, 24)) -> bytes:
    """A small real PNG, for tests that upload a photo."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()
