"""The bot's standing in each chat: services that record changes, hooks for the domain, selectors.

A group that removed the bot (403) or a chat that migrated to a supergroup is recorded as a
`TelegramChatEvent` and shown to coordinators. Domain code (forums) registers a hook with
`@on_chat_change` to react in the same transaction, e.g. move a forum's `telegram_chat_id` on migration
or tell the forum's coordinators.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from telegram import Bot
from telegram.error import BadRequest, Forbidden

from helpdesk.core import outbox
from helpdesk.core.models import OutboxJob

from . import config
from .client import get_client
from .models import TelegramChat, TelegramChatEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatChange:
    chat_id: int
    kind: str  # TelegramChatEvent.Kind
    detail: str = ""
    new_chat_id: int | None = None


ChatHook = Callable[[ChatChange], None]
_HOOKS: list[ChatHook] = []


def on_chat_change(fn: ChatHook) -> ChatHook:
    """Register `fn(change)`; it runs inside the transaction that records the change."""
    if fn not in _HOOKS:
        _HOOKS.append(fn)
    return fn


def _record(change: ChatChange) -> None:
    TelegramChatEvent.objects.create(
        chat_id=change.chat_id, kind=change.kind, detail=change.detail[:255], new_chat_id=change.new_chat_id
    )
    log.info("telegram chat %s: %s %s", change.chat_id, change.kind, change.detail)
    for hook in _HOOKS:
        hook(change)


def _chat(chat_id: int) -> TelegramChat:
    chat, _ = TelegramChat.objects.get_or_create(chat_id=chat_id)
    return chat


def chat_seen(data: dict[str, Any]) -> None:
    """Keep type, title and forum flag of a chat up to date from an API `Chat` object."""
    chat_id = int(data["id"])
    title = str(data.get("title") or data.get("first_name") or "")[:255]
    fields = {"type": str(data.get("type", ""))[:12], "title": title, "is_forum": bool(data.get("is_forum"))}
    updated = TelegramChat.objects.filter(chat_id=chat_id).exclude(**fields).update(
        **fields, updated_at=timezone.now()
    )
    if not updated and not TelegramChat.objects.filter(chat_id=chat_id).exists():
        TelegramChat.objects.bulk_create([TelegramChat(chat_id=chat_id, **fields)], ignore_conflicts=True)


def chat_mark_removed(chat_id: int, detail: str) -> None:
    """The bot was kicked from a group or blocked by a user: stop writing there, and say so."""
    with transaction.atomic():
        chat = _chat(chat_id)
        if chat.status == TelegramChat.Status.REMOVED:
            return
        TelegramChat.objects.filter(pk=chat.pk).update(
            status=TelegramChat.Status.REMOVED, status_detail=detail[:255], status_changed_at=timezone.now()
        )
        _record(ChatChange(chat_id=chat_id, kind=TelegramChatEvent.Kind.REMOVED, detail=detail))


def chat_mark_active(chat_id: int, detail: str = "") -> None:
    with transaction.atomic():
        chat = _chat(chat_id)
        if chat.status != TelegramChat.Status.REMOVED:
            return
        TelegramChat.objects.filter(pk=chat.pk).update(
            status=TelegramChat.Status.ACTIVE, status_detail=detail[:255], status_changed_at=timezone.now()
        )
        _record(ChatChange(chat_id=chat_id, kind=TelegramChatEvent.Kind.RESTORED, detail=detail))


def chat_mark_migrated(old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup with a new id; messages for the old id go to the new one from now on."""
    with transaction.atomic():
        chat = _chat(old_chat_id)
        if chat.status == TelegramChat.Status.MIGRATED and chat.migrated_to == new_chat_id:
            return
        TelegramChat.objects.filter(pk=chat.pk).update(
            status=TelegramChat.Status.MIGRATED,
            migrated_to=new_chat_id,
            status_detail=f"-> {new_chat_id}",
            status_changed_at=timezone.now(),
        )
        new = _chat(new_chat_id)
        TelegramChat.objects.filter(pk=new.pk).update(
            type="supergroup", title=new.title or chat.title, status=TelegramChat.Status.ACTIVE
        )
        _record(ChatChange(chat_id=old_chat_id, kind=TelegramChatEvent.Kind.MIGRATED,
                           detail=f"-> {new_chat_id}", new_chat_id=new_chat_id))


def chat_set_rights(chat_id: int, *, is_admin: bool | None, can_manage_topics: bool | None) -> None:
    """Record what the bot may do in a group (None: unchanged / unknown)."""
    with transaction.atomic():
        chat = _chat(chat_id)
        if is_admin is None:
            is_admin = chat.bot_is_admin
        if chat.bot_is_admin == is_admin and chat.can_manage_topics == can_manage_topics:
            return
        TelegramChat.objects.filter(pk=chat.pk).update(
            bot_is_admin=is_admin, can_manage_topics=can_manage_topics, updated_at=timezone.now()
        )
        detail = f"admin={is_admin} can_manage_topics={can_manage_topics}"
        _record(ChatChange(chat_id=chat_id, kind=TelegramChatEvent.Kind.RIGHTS, detail=detail))


# ----- selectors ----------------------------------------------------------------------------------------
def resolve_chat_id(chat_id: int) -> int:
    """Follow recorded migrations: the id to write to now."""
    seen = {chat_id}
    current = chat_id
    while True:
        target = (
            TelegramChat.objects.filter(chat_id=current, status=TelegramChat.Status.MIGRATED)
            .values_list("migrated_to", flat=True)
            .first()
        )
        if target is None or target in seen:
            return current
        seen.add(target)
        current = target


def writable_chat_id(chat_id: int) -> int | None:
    """The id to write to now (after migrations), or None when the bot was removed there. One query for a
    chat that never changed."""
    row = TelegramChat.objects.filter(chat_id=chat_id).values_list("status", "migrated_to").first()
    if row is None or row[0] == TelegramChat.Status.ACTIVE:
        return chat_id
    if row[0] == TelegramChat.Status.REMOVED:
        return None
    current = resolve_chat_id(chat_id)
    return None if chat_is_removed(current) else current


def chat_is_removed(chat_id: int) -> bool:
    return TelegramChat.objects.filter(chat_id=chat_id, status=TelegramChat.Status.REMOVED).exists()


def chat_status(chat_id: int) -> TelegramChat | None:
    return TelegramChat.objects.filter(chat_id=chat_id).first()


# ----- asking Telegram -------------------------------------------------------------------------------------
REFRESH_KIND = "telegram.refresh_chat"


def telegram_refresh_chat(chat_id: int) -> None:
    """Queue a check of the chat and of the bot's rights there (getChat, getChatMember). Changes are recorded
    as events and reach `@on_chat_change` hooks; e.g. call it when a group is linked, and tell the group
    from a hook (or from `chat_status()`) when the bot may not manage topics."""
    outbox.enqueue(REFRESH_KIND, {"chat_id": chat_id}, key=f"{REFRESH_KIND}:{chat_id}:{timezone.now().timestamp()}")


@outbox.handler(REFRESH_KIND, atomic=False, max_attempts=5)
def refresh_chat_job(payload: dict[str, Any], job: OutboxJob) -> None:
    if not config.enabled():
        return
    chat_id = int(payload["chat_id"])

    async def ask(bot: Bot) -> tuple[dict[str, Any], dict[str, Any]]:
        chat = await bot.get_chat(chat_id)
        member = await bot.get_chat_member(chat_id, bot.id)
        return chat.to_dict(), member.to_dict()

    try:
        chat, member = get_client().run(ask)
    except Forbidden as exc:
        chat_mark_removed(chat_id, exc.message)
        return
    except BadRequest as exc:
        log.warning("telegram chat %s cannot be checked: %s", chat_id, exc.message)
        return
    with transaction.atomic():
        chat_seen(chat)
        if chat.get("type") != "private":
            status = member.get("status")
            chat_set_rights(chat_id, is_admin=status in {"administrator", "creator"},
                            can_manage_topics=bool(member.get("can_manage_topics")) or status == "creator")
