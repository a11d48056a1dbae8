"""The fake's world: one bot, its chats, users, messages, topics, files and the update queue.

All state sits behind one lock. `methods.py` implements the Bot API on top of it; the control methods here
are what tests call to act as Telegram's users ("a volunteer replies in the group") and to look at what the
bot did ("what did the bot send to this chat, how often").
"""

from __future__ import annotations

import copy
import hashlib
import io
import itertools
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, bad
from .people import PeopleMixin

__all__ = ["ApiError", "World", "bad"]


DEFAULT_ALLOWED = [
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages", "inline_query",
    "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query", "poll", "poll_answer",
    "my_chat_member", "chat_join_request", "chat_boost", "removed_chat_boost", "purchased_paid_media",
]  # everything except chat_member, message_reaction and message_reaction_count, as Telegram documents


@dataclass
class User:
    id: int
    first_name: str
    username: str | None = None
    is_bot: bool = False
    last_name: str | None = None
    language_code: str | None = "id"
    started_bot: bool = False
    blocked_bot: bool = False

    def as_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    created_by_bot: bool
    closed: bool = False


@dataclass
class Chat:
    id: int
    type: str  # private, group, supergroup
    title: str = ""
    is_forum: bool = False
    members: dict[int, str] = field(default_factory=dict)  # user id -> creator/administrator/member/left/kicked
    bot_status: str = "member"  # member, administrator, left, kicked
    bot_can_manage_topics: bool = False
    bot_can_delete_messages: bool = False
    migrated_to: int | None = None
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    bot_message_ids: list[int] = field(default_factory=list)
    topics: dict[int, Topic] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def as_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.title
        else:
            data["title"] = self.title
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    size: int
    data: bytes | None


@dataclass
class Limits:
    """Telegram's flood limits, enforced as sliding windows when a test turns them on."""

    per_chat: tuple[int, float] = (1, 1.0)
    per_group: tuple[int, float] = (20, 60.0)
    overall: tuple[int, float] = (30, 1.0)


@dataclass
class Failure:
    method: str | None  # lower-case method name, None for any
    status: int
    description: str
    times: int
    delay: float = 0.0  # seconds to wait before answering
    raw_body: bytes | None = None  # a non-JSON body, like a proxy's 502 page


class World(PeopleMixin):
    MAX_DOWNLOAD = 20 * 1024 * 1024

    def __init__(self, token: str = "123456:TEST-token", bot_username: str = "sid_helpdesk_bot") -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.token = token
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456
        self.bot = User(id=bot_id, first_name="SID Helpdesk", username=bot_username, is_bot=True)
        self.users: dict[int, User] = {self.bot.id: self.bot}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.updates: deque[dict[str, Any]] = deque()
        self.update_ids = itertools.count(700_000_001)
        self.allowed_updates: list[str] = list(DEFAULT_ALLOWED)
        self.user_ids = itertools.count(5_000_001)
        self.group_ids = itertools.count(4_000_001)
        self.supergroup_ids = itertools.count(1_000_000_001)
        self.callback_ids = itertools.count(9_000_000_001)
        self.file_seq = itertools.count(1)
        self.callbacks: dict[str, dict[str, Any]] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {"url": ""}
        self.webhook_errors: list[str] = []
        self.poll_generation = 0
        self.polling = 0  # getUpdates calls waiting right now
        self.limits: Limits | None = None
        self.windows: dict[str, deque[float]] = {}
        self.limit_hits: list[dict[str, Any]] = []  # which window answered 429, for tests and the bench
        self.failures: list[Failure] = []
        self.request_log: list[dict[str, Any]] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "<scope JSON>|<language_code>" -> commands
        self.privacy_mode = True
        self.media_group_ids = itertools.count(13_000_000_000_000_001)
        self.webhook_retry_seconds = 0.2

    # ----- helpers used by the methods -------------------------------------------------------------
    def now(self) -> int:
        return int(time.time())

    def chat(self, chat_id: Any) -> Chat:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            raise bad("chat not found")
        try:
            key = int(chat_id)
        except (TypeError, ValueError):
            raise bad("chat not found") from None
        chat = self.chats.get(key)
        if chat is None:
            raise bad("chat not found")
        return chat

    def user(self, user_id: int) -> User:
        user = self.users.get(int(user_id))
        if user is None:
            raise KeyError(f"no such fake user {user_id}")
        return user

    def new_message(self, chat: Chat, sender: User, **content: Any) -> dict[str, Any]:
        message_id = next(chat.ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": sender.as_api(),
            "chat": chat.as_api(),
            "date": self.now(),
        }
        message.update({k: v for k, v in content.items() if v is not None})
        chat.messages[message_id] = message
        if sender.id == self.bot.id:
            chat.bot_message_ids.append(message_id)
        return message

    def push_update(self, kind: str, obj: dict[str, Any]) -> dict[str, Any] | None:
        if kind not in self.allowed_updates:
            return None
        update = {"update_id": next(self.update_ids), kind: copy.deepcopy(obj)}  # later edits don't leak in
        self.updates.append(update)
        self.changed.notify_all()
        return update

    def check_limits(self, chat: Chat) -> None:
        if self.limits is None:
            return
        now = time.monotonic()
        checks = [(f"chat:{chat.id}", self.limits.per_chat), ("overall", self.limits.overall)]
        if chat.type != "private":
            checks.append((f"group:{chat.id}", self.limits.per_group))
        wait = 0.0
        for key, (count, window) in checks:
            stamps = self.windows.setdefault(key, deque())
            while stamps and stamps[0] <= now - window:
                stamps.popleft()
            if len(stamps) >= count:
                wait = max(wait, stamps[len(stamps) - count] + window - now)
                self.limit_hits.append({"bucket": key, "at": now, "recent": list(stamps)[-count:]})
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        for key, _ in checks:
            self.windows[key].append(now)

    def store_file(self, data: bytes | None, *, prefix: str, name: str = "", size: int | None = None) -> StoredFile:
        seq = next(self.file_seq)
        digest = hashlib.sha1(data or name.encode() or str(seq).encode(), usedforsecurity=False).hexdigest()
        suffix = "." + name.rsplit(".", 1)[1] if "." in name else (".jpg" if prefix == "photos" else "")
        stored = StoredFile(
            file_id=f"BQAC{seq:06d}{digest[:20]}",
            file_unique_id=f"AgAD{digest[:12]}{seq}",
            file_path=f"{prefix}/file_{seq}{suffix}",
            size=size if size is not None else len(data or b""),
            data=data,
        )
        self.files[stored.file_id] = stored
        return stored

    def photo_sizes(self, stored: StoredFile) -> list[dict[str, Any]]:
        width = height = 0
        if stored.data:
            from PIL import Image

            with Image.open(io.BytesIO(stored.data)) as image:
                width, height = image.size
        thumb = self.store_file(stored.data, prefix="thumbnails", size=min(stored.size, 1024))
        scale = min(1.0, 90 / max(width, height, 1))
        return [
            {"file_id": thumb.file_id, "file_unique_id": thumb.file_unique_id, "file_size": thumb.size,
             "width": int(width * scale), "height": int(height * scale)},
            {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_size": stored.size,
             "width": width, "height": height},
        ]

    # ----- control: people and chats -----------------------------------------------------------------
    def create_user(self, first_name: str = "Relawan", username: str | None = None, *, is_bot: bool = False,
                    last_name: str | None = None) -> dict[str, Any]:
        with self.lock:
            user = User(id=next(self.user_ids), first_name=first_name, username=username, is_bot=is_bot,
                        last_name=last_name)
            self.users[user.id] = user
            return user.as_api()

    def create_private_chat(self, user_id: int, *, started: bool = True) -> int:
        with self.lock:
            user = self.user(user_id)
            user.started_bot = started
            if user.id not in self.chats:
                self.chats[user.id] = Chat(id=user.id, type="private", title=user.first_name,
                                           members={user.id: "member"})
            return user.id

    def create_group(self, title: str = "Grup ForSID", *, members: list[int] = (), bot: bool = True,  # type: ignore[assignment]
                     bot_admin: bool = False) -> int:
        with self.lock:
            chat = Chat(id=-next(self.group_ids), type="group", title=title)
            self._populate(chat, members, bot, bot_admin, can_manage_topics=False)
            return chat.id

    def create_supergroup(self, title: str = "Supergrup ForSID", *, forum: bool = False,
                          members: list[int] = (), bot: bool = True, bot_admin: bool = False,  # type: ignore[assignment]
                          can_manage_topics: bool = False) -> int:
        with self.lock:
            chat = Chat(id=-next(self.supergroup_ids), type="supergroup", title=title, is_forum=forum)
            self._populate(chat, members, bot, bot_admin, can_manage_topics)
            return chat.id

    def _populate(self, chat: Chat, members: list[int], bot: bool, bot_admin: bool, can_manage_topics: bool) -> None:
        for index, user_id in enumerate(members):
            chat.members[int(user_id)] = "creator" if index == 0 else "member"
        chat.bot_status = ("administrator" if bot_admin else "member") if bot else "left"
        chat.bot_can_manage_topics = bot_admin and can_manage_topics
        chat.bot_can_delete_messages = bot_admin
        self.chats[chat.id] = chat

    def _bot_member(self, chat: Chat) -> dict[str, Any]:
        user = self.bot.as_api()
        if chat.bot_status == "administrator":
            rights = dict.fromkeys(
                ["can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
                 "can_change_info", "can_invite_users", "can_pin_messages"], True)
            rights.update(can_be_edited=False, is_anonymous=False, can_promote_members=False,
                          can_post_stories=False, can_edit_stories=False, can_delete_stories=False,
                          can_delete_messages=chat.bot_can_delete_messages)
            if chat.type == "supergroup":
                rights["can_manage_topics"] = chat.bot_can_manage_topics
            return {"status": "administrator", "user": user, **rights}
        if chat.bot_status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        return {"status": chat.bot_status, "user": user}

    def _my_chat_member(self, chat: Chat, old: dict[str, Any], by_user: int | None) -> None:
        actor = self.users.get(by_user or 0) or next(
            (self.users[u] for u, s in chat.members.items() if s == "creator" and u in self.users), self.bot)
        self.push_update("my_chat_member", {
            "chat": chat.as_api(), "from": actor.as_api(), "date": self.now(),
            "old_chat_member": old, "new_chat_member": self._bot_member(chat),
        })

    def add_bot(self, chat_id: int, *, admin: bool = False, can_manage_topics: bool = False,
                by_user: int | None = None) -> None:
        with self.lock:
            chat = self.chat(chat_id)
            old = self._bot_member(chat)
            chat.bot_status = "administrator" if admin else "member"
            chat.bot_can_manage_topics = admin and can_manage_topics
            chat.bot_can_delete_messages = admin
            self._my_chat_member(chat, old, by_user)
            actor = self.users.get(by_user or 0) or self.bot
            message = self.new_message(chat, actor, new_chat_members=[self.bot.as_api()],
                                       new_chat_member=self.bot.as_api(), new_chat_participant=self.bot.as_api())
            self.push_update("message", message)

    def set_bot_rights(self, chat_id: int, *, admin: bool, can_manage_topics: bool = False,
                       by_user: int | None = None) -> None:
        with self.lock:
            chat = self.chat(chat_id)
            old = self._bot_member(chat)
            chat.bot_status = "administrator" if admin else "member"
            chat.bot_can_manage_topics = admin and can_manage_topics
            chat.bot_can_delete_messages = admin
            self._my_chat_member(chat, old, by_user)

    def kick_bot(self, chat_id: int, *, by_user: int | None = None) -> None:
        with self.lock:
            chat = self.chat(chat_id)
            old = self._bot_member(chat)
            chat.bot_status = "kicked"
            self._my_chat_member(chat, old, by_user)

    def block_bot(self, user_id: int) -> None:
        with self.lock:
            user = self.user(user_id)
            user.blocked_bot = True
            chat = self.chats.get(user.id)
            if chat is not None:
                old = {"status": "member", "user": self.bot.as_api()}
                self._my_chat_member(chat, old, user.id)

    def add_member(self, chat_id: int, user_id: int) -> None:
        with self.lock:
            chat = self.chat(chat_id)
            chat.members[int(user_id)] = "member"
            user = self.user(user_id)
            self.push_update("message", self.new_message(chat, user, new_chat_members=[user.as_api()]))

    def migrate_group(self, chat_id: int) -> int:
        """A basic group upgraded to a supergroup: a new chat id, and the old one answers with migrate_to."""
        with self.lock:
            old = self.chat(chat_id)
            if old.type != "group":
                raise ValueError("only basic groups migrate")
            new = Chat(id=-next(self.supergroup_ids), type="supergroup", title=old.title,
                       members=dict(old.members), bot_status=old.bot_status,
                       bot_can_delete_messages=old.bot_can_delete_messages)
            self.chats[new.id] = new
            old.migrated_to = new.id
            creator = next((self.users[u] for u, s in old.members.items() if s == "creator"), self.bot)
            self.push_update("message", self.new_message(old, creator, migrate_to_chat_id=new.id))
            self.push_update("message", self.new_message(new, creator, migrate_from_chat_id=old.id))
            return new.id

    def make_forum(self, chat_id: int) -> None:
        with self.lock:
            chat = self.chat(chat_id)
            if chat.type != "supergroup":
                raise ValueError("only supergroups can become forums")
            chat.is_forum = True

    # ----- control: looking at what the bot did --------------------------------------------------------
    def bot_messages(self, chat_id: int, *, thread_id: int | None = None) -> list[dict[str, Any]]:
        with self.lock:
            chat = self.chat(chat_id)
            found = [chat.messages[m] for m in chat.bot_message_ids if m in chat.messages]
            if thread_id is not None:
                found = [m for m in found if m.get("message_thread_id") == thread_id]
            return [dict(m) for m in found]

    def bot_texts(self, chat_id: int, *, thread_id: int | None = None) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.bot_messages(chat_id, thread_id=thread_id)]

    def topics(self, chat_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {"message_thread_id": t.thread_id, "name": t.name, "closed": t.closed}
                for t in self.chat(chat_id).topics.values()
            ]

    def requests(self, method: str | None = None, status: int | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                dict(r) for r in self.request_log
                if (method is None or r["method"] == method.lower()) and (status is None or r["status"] == status)
            ]

    def count(self, method: str | None = None, status: int | None = None) -> int:
        return len(self.requests(method, status))

    def pending_updates(self) -> int:
        with self.lock:
            return len(self.updates)

    def webhook_info(self) -> dict[str, Any]:
        with self.lock:
            return {**self.webhook, "pending_update_count": len(self.updates) if self.webhook["url"] else 0}

    def download(self, file_path: str) -> bytes | None:
        with self.lock:
            for stored in self.files.values():
                if stored.file_path == file_path:
                    return stored.data
        return None

    # ----- control: trouble ---------------------------------------------------------------------------
    def set_limits(self, *, per_chat: tuple[int, float] | None = (1, 1.0),
                   per_group: tuple[int, float] | None = (20, 60.0),
                   overall: tuple[int, float] | None = (30, 1.0), enabled: bool = True) -> None:
        with self.lock:
            big = (10**9, 1.0)
            self.limits = Limits(per_chat=tuple(per_chat or big), per_group=tuple(per_group or big),  # type: ignore[arg-type]
                                 overall=tuple(overall or big)) if enabled else None  # type: ignore[arg-type]
            self.windows.clear()

    def fail_next(self, method: str | None = None, *, status: int = 500, description: str = "Internal Server Error",
                  times: int = 1, delay: float = 0.0, raw_body: str | None = None) -> None:
        with self.lock:
            self.failures.append(Failure(method=method.lower() if method else None, status=status,
                                         description=description, times=times, delay=delay,
                                         raw_body=raw_body.encode() if raw_body is not None else None))

    def slow_down(self, method: str | None = None, *, seconds: float, times: int = 1) -> None:
        """Answer the next calls late (but correctly): the client's read timeout may fire first."""
        self.fail_next(method, status=0, times=times, delay=seconds)

    def take_failure(self, method: str) -> Failure | None:
        with self.lock:
            for failure in self.failures:
                if failure.method in (None, method):
                    failure.times -= 1
                    if failure.times <= 0:
                        self.failures.remove(failure)
                    return failure
        return None

    def reset_log(self) -> None:
        with self.lock:
            self.request_log.clear()
