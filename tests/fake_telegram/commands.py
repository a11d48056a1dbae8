"""The fake's "/" menus: setMyCommands, getMyCommands and deleteMyCommands, kept per scope and language_code."""

from __future__ import annotations

import json
from typing import Any

from .methods import Params, method
from .world import World, bad


def _commands_key(p: Params) -> str:
    scope = p.json("scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in {
            "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
            "chat_administrators", "chat_member"}:
        raise bad("can't parse BotCommandScope")
    language = p.str("language_code") or ""
    if language and (len(language) != 2 or not language.isalpha()):
        raise bad("invalid language code specified")
    return json.dumps(scope, sort_keys=True) + "|" + language


@method
def m_setMyCommands(world: World, p: Params) -> Any:
    commands = p.json("commands") or []
    if len(commands) > 100:
        raise bad("too many commands specified")
    for item in commands:
        name, description = str(item.get("command", "")), str(item.get("description", ""))
        if not (1 <= len(name) <= 32 and all(c.islower() or c.isdigit() or c == "_" for c in name)):
            raise bad("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad("BOT_COMMAND_DESCRIPTION_INVALID" if description else "command description is empty")
    with world.lock:
        world.commands[_commands_key(p)] = list(commands)
        return True


@method
def m_getMyCommands(world: World, p: Params) -> Any:
    with world.lock:
        return list(world.commands.get(_commands_key(p), []))


@method
def m_deleteMyCommands(world: World, p: Params) -> Any:
    with world.lock:
        world.commands.pop(_commands_key(p), None)
        return True
