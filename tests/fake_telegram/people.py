"""What the fake's users do: post (text, captions, files, albums), edit, start the bot, press buttons.

A mixin of `World`: every method takes the world's lock. Group messages reach the bot as Telegram delivers
them under privacy mode (`bot_sees`).
"""

from __future__ import annotations

from typing import Any

from .markup import command_entities


class PeopleMixin:
    """User actions on the world; the attributes used here are set by `World.__init__`."""

    lock: Any
    bot: Any
    privacy_mode: bool
    media_group_ids: Any
    callbacks: dict[str, dict[str, Any]]
    callback_ids: Any
    updates: Any
    changed: Any
    update_ids: Any

    chat: Any
    user: Any
    new_message: Any
    push_update: Any
    store_file: Any
    photo_sizes: Any
    create_private_chat: Any
    now: Any

    # ----- control: what users do --------------------------------------------------------------------
    def user_sends(
        self,
        chat_id: int,
        user_id: int,
        text: str | None = None,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
        photo: bytes | None = None,
        document: tuple[str, bytes, str] | None = None,
        document_size: int | None = None,
        caption: str | None = None,
        sticker: bool = False,
        voice: bool = False,
        forward: bool = False,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        """A user posts in a chat; returns the message as delivered in the update."""
        with self.lock:
            chat = self.chat(chat_id)
            user = self.user(user_id)
            if chat.type == "private":
                user.started_bot = True
            content: dict[str, Any] = {}
            if text is not None:
                content["text"] = text
                entities = command_entities(text)
                if entities:
                    content["entities"] = entities
            if caption is not None:
                content["caption"] = caption
                entities = command_entities(caption)
                if entities:
                    content["caption_entities"] = entities
            if media_group_id is not None:
                content["media_group_id"] = media_group_id
            if photo is not None:
                content["photo"] = self.photo_sizes(self.store_file(photo, prefix="photos"))
            if document is not None:
                name, data, mime = document
                stored = self.store_file(data, prefix="documents", name=name, size=document_size)
                content["document"] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                                       "file_name": name, "mime_type": mime, "file_size": stored.size}
            if sticker:
                stored = self.store_file(b"RIFF-sticker", prefix="stickers", name="sticker.webp")
                content["sticker"] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                                      "width": 512, "height": 512, "is_animated": False, "is_video": False,
                                      "type": "regular", "emoji": "\U0001f44d", "file_size": stored.size}
            if voice:
                stored = self.store_file(b"OggS-voice", prefix="voice", name="voice.oga")
                content["voice"] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                                    "duration": 3, "mime_type": "audio/ogg", "file_size": stored.size}
            if forward:
                content["forward_origin"] = {"type": "hidden_user", "sender_user_name": "Orang lain",
                                             "date": self.now()}
            self._threading(chat, content, reply_to, thread_id)
            message = self.new_message(chat, user, **content)
            if self.bot_sees(chat, message):
                self.push_update("message", message)
            return message

    def user_sends_album(self, chat_id: int, user_id: int, photos: list[bytes], *, caption: str | None = None,
                         reply_to: int | None = None, thread_id: int | None = None) -> list[dict[str, Any]]:
        """An album: one message per photo, sharing a media_group_id; the caption rides on the first."""
        with self.lock:
            group_id = str(next(self.media_group_ids))
            return [self.user_sends(chat_id, user_id, photo=photo, caption=caption if i == 0 else None,
                                    reply_to=reply_to, thread_id=thread_id, media_group_id=group_id)
                    for i, photo in enumerate(photos)]

    def set_privacy(self, enabled: bool) -> None:
        """BotFather's /setprivacy: on (the default), a bot that is not an admin sees little of a group."""
        with self.lock:
            self.privacy_mode = enabled

    def bot_sees(self, chat: Any, message: dict[str, Any]) -> bool:
        """Privacy mode: unless it is an admin (or privacy is off), a bot in a group gets only commands (not those
        addressed to another bot), replies to its own messages and service messages."""
        if chat.type == "private" or not self.privacy_mode or chat.bot_status == "administrator":
            return True
        if chat.bot_status in {"left", "kicked"}:
            return False
        text = message.get("text") or message.get("caption") or ""
        if text.startswith("/"):
            head = text.split()[0] if text.split() else text
            target = head.partition("@")[2]
            return not target or target.lower() == (self.bot.username or "").lower()
        reply = message.get("reply_to_message") or {}
        explicit = reply and not (chat.is_forum and reply.get("message_id") == message.get("message_thread_id"))
        if explicit and (reply.get("from") or {}).get("id") == self.bot.id:
            return True
        content = {"text", "caption", "photo", "document", "sticker", "voice", "video", "audio", "animation"}
        return not content & set(message)

    def _threading(self, chat: Any, content: dict[str, Any], reply_to: int | None, thread_id: int | None) -> None:
        if thread_id is not None:
            topic = chat.topics.get(int(thread_id))
            if chat.is_forum and topic is None:
                from .errors import bad

                raise bad("message thread not found")
            content["message_thread_id"] = int(thread_id)
            if chat.is_forum:
                content["is_topic_message"] = True
                if reply_to is None:
                    # Telegram quirk: a plain message in a topic "replies" to the topic's creation message.
                    reply_to = int(thread_id)
        if reply_to is not None:
            target = chat.messages.get(int(reply_to))
            if target is None:
                from .errors import bad

                raise bad("message to be replied not found")
            content["reply_to_message"] = {k: v for k, v in target.items() if k != "reply_to_message"}

    def user_edits(self, chat_id: int, message_id: int, text: str) -> dict[str, Any]:
        with self.lock:
            chat = self.chat(chat_id)
            message = chat.messages[int(message_id)]
            message["caption" if "caption" in message or "photo" in message else "text"] = text
            message["edit_date"] = self.now()
            if self.bot_sees(chat, message):
                self.push_update("edited_message", dict(message))
            return message

    def user_starts_bot(self, user_id: int, payload: str = "") -> dict[str, Any]:
        chat_id = self.create_private_chat(user_id)
        return self.user_sends(chat_id, user_id, f"/start {payload}".strip())

    def press_button(self, chat_id: int, message_id: int, user_id: int, data: str) -> str:
        """A user presses an inline button; the button must exist on that bot message."""
        with self.lock:
            chat = self.chat(chat_id)
            message = chat.messages.get(int(message_id))
            if message is None:
                raise ValueError("no such message")
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            if not any(button.get("callback_data") == data for row in rows for button in row):
                raise ValueError(f"message {message_id} has no button with callback_data {data!r}")
            query_id = str(next(self.callback_ids))
            query = {
                "id": query_id,
                "from": self.user(user_id).as_api(),
                "message": message,
                "chat_instance": str(abs(chat.id) * 7919),
                "data": data,
            }
            self.callbacks[query_id] = query
            self.push_update("callback_query", query)
            return query_id

    def inject_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue any raw update (unknown kinds, odd shapes); the update_id is assigned here."""
        with self.lock:
            update = {"update_id": next(self.update_ids), **{k: v for k, v in update.items() if k != "update_id"}}
            self.updates.append(update)
            self.changed.notify_all()
            return update
