"""The forum-topic methods of the fake: only in forums, only for an admin bot with `can_manage_topics`."""

from __future__ import annotations

from typing import Any

from .methods import Params, _writable_chat, method
from .world import Chat, Topic, World, bad


# ----- forum topics -----------------------------------------------------------------------------------------------
def _forum(world: World, p: Params, action: str) -> Chat:
    chat = _writable_chat(world, p)
    if not chat.is_forum:
        raise bad("the chat is not a forum")
    if chat.bot_status != "administrator" or not chat.bot_can_manage_topics:
        raise bad(f"not enough rights to {action} a topic")
    return chat


def _topic(world: World, chat: Chat, p: Params) -> Any:
    topic = chat.topics.get(p.int("message_thread_id", required=True) or 0)
    if topic is None:
        raise bad("TOPIC_ID_INVALID")
    return topic


@method
def m_createForumTopic(world: World, p: Params) -> Any:
    with world.lock:
        chat = _forum(world, p, "create")
        name = p.str("name") or ""
        if not 1 <= len(name) <= 128:
            raise bad("TOPIC_NAME_INVALID")
        icon_color = p.int("icon_color") or 7322096
        world.check_limits(chat)
        created = world.new_message(chat, world.bot, forum_topic_created={"name": name, "icon_color": icon_color})
        thread_id = created["message_id"]
        created.update(message_thread_id=thread_id, is_topic_message=True)
        chat.topics[thread_id] = Topic(thread_id=thread_id, name=name, icon_color=icon_color, created_by_bot=True)
        return {"message_thread_id": thread_id, "name": name, "icon_color": icon_color}


@method
def m_editForumTopic(world: World, p: Params) -> Any:
    with world.lock:
        chat = _forum(world, p, "edit")
        topic = _topic(world, chat, p)
        name = p.str("name")
        if name is not None:
            if not 1 <= len(name) <= 128:
                raise bad("TOPIC_NAME_INVALID")
            if name == topic.name:
                raise bad("TOPIC_NOT_MODIFIED")
            topic.name = name
            world.new_message(chat, world.bot, message_thread_id=topic.thread_id, is_topic_message=True,
                              forum_topic_edited={"name": name})
        return True


@method
def m_closeForumTopic(world: World, p: Params) -> Any:
    with world.lock:
        chat = _forum(world, p, "close")
        topic = _topic(world, chat, p)
        if topic.closed:
            raise bad("TOPIC_NOT_MODIFIED")
        topic.closed = True
        world.new_message(chat, world.bot, message_thread_id=topic.thread_id, is_topic_message=True,
                          forum_topic_closed={})
        return True


@method
def m_reopenForumTopic(world: World, p: Params) -> Any:
    with world.lock:
        chat = _forum(world, p, "reopen")
        topic = _topic(world, chat, p)
        if not topic.closed:
            raise bad("TOPIC_NOT_MODIFIED")
        topic.closed = False
        world.new_message(chat, world.bot, message_thread_id=topic.thread_id, is_topic_message=True,
                          forum_topic_reopened={})
        return True
