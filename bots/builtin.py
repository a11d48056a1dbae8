"""Commands every chat has (/bantuan and /help), the answer to a command nobody registered, the greeting when
the bot is added to a group, and the "/" menu published to Telegram per scope and language (setMyCommands)."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)

from . import config
from .handlers import Context, bot_username, command, commands_for, service_handler
from .text import escape

log = logging.getLogger(__name__)

MENU_LANGUAGES = ("", "en")  # "" is everyone else: Bahasa Indonesia


def help_text(ctx: Context) -> str:
    lines = [_("<b>Bantuan SID Helpdesk</b>"), _("Perintah yang bisa dipakai di sini:")]
    for c in commands_for(ctx.chat_type):
        lines.append(f"/{c.name} — {escape(str(c.help))}")
    if ctx.is_group and not ctx.known_chat:
        lines.append("")
        lines.append(_("Grup ini belum terhubung ke forum. Koordinator bisa menghubungkannya dari halaman forum."))
    return "\n".join(lines)


@command("bantuan", help=gettext_lazy("menampilkan bantuan ini"), allow_unknown_chat=True)
def bantuan(ctx: Context) -> None:
    ctx.reply(help_text(ctx), silent=ctx.is_group)


command("help", help=gettext_lazy("menampilkan bantuan ini"), allow_unknown_chat=True, hidden=True)(bantuan)


def unknown_command(ctx: Context) -> None:
    """A command no handler knows. In groups only linked ones get an answer: other bots live there too."""
    if ctx.is_group and not ctx.known_chat:
        return
    if ctx.command == "start":
        ctx.reply(_("Halo! Saya bot SID Helpdesk.") + "\n\n" + help_text(ctx))
        return
    ctx.reply(_("Perintah /%(name)s tidak dikenal.") % {"name": escape(ctx.command)} + "\n\n" + help_text(ctx),
              silent=ctx.is_group)


def greeting() -> str:
    return _("Halo! Saya bot SID Helpdesk. Agar tiket forum muncul di grup ini:\n"
             "1. Jadikan @%(bot)s admin grup, dengan hak <b>Kelola topik</b> bila grup memakai topik.\n"
             "2. Koordinator forum menekan <b>Minta kode /hubungkan</b> di halaman forum di web.\n"
             "3. Kirim <code>/hubungkan KODE</code> di sini.\n"
             "Ketik /bantuan untuk daftar perintah.") % {"bot": escape(bot_username() or "sid_helpdesk_bot")}


@service_handler
def greet_new_group(ctx: Context) -> None:
    """The bot was added to a group that is not linked yet: say how to set it up (once per addition)."""
    members = (ctx.raw.get("message") or {}).get("new_chat_members") or []
    bot_id = config.bot_id()
    if ctx.is_group and not ctx.known_chat and any(m.get("id") == bot_id for m in members):
        ctx.reply(greeting(), quote=False)


# ----- the "/" menu -----------------------------------------------------------------------------------------
def menu(scope: str) -> list[BotCommand]:
    """The commands of one menu scope ("private", "group", "admins"), in the active language."""
    chat_type = "private" if scope == "private" else "group"
    return [BotCommand(c.name, str(c.help)[:256]) for c in commands_for(chat_type)
            if scope == "admins" or not c.admins_only]


def publish_commands() -> int:
    """setMyCommands for private chats, groups and group admins, in Bahasa Indonesia and English. Called when the
    bridge starts (polling) or sets its webhook; returns the number of calls made."""
    from .client import get_client

    scopes: dict[str, Any] = {"private": BotCommandScopeAllPrivateChats(), "group": BotCommandScopeAllGroupChats(),
                              "admins": BotCommandScopeAllChatAdministrators()}
    calls = 0
    for language in MENU_LANGUAGES:
        with translation.override(language or "id"):
            for name, scope in scopes.items():
                commands = menu(name)

                async def publish(bot: Any, commands: list[BotCommand] = commands, scope: Any = scope,
                                  language: str = language) -> bool:
                    return bool(await bot.set_my_commands(commands, scope=scope, language_code=language or None))

                get_client().run(publish)
                calls += 1
    log.info("telegram: command menus published (%s scopes and languages)", calls)
    return calls
