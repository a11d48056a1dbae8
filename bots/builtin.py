"""Commands every chat has: /bantuan, and the answer to a command nobody registered."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .handlers import Context, command, commands_for
from .text import escape


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
    ctx.reply(help_text(ctx))


def unknown_command(ctx: Context) -> None:
    """A command no handler knows. In groups only linked ones get an answer: other bots live there too."""
    if ctx.is_group and not ctx.known_chat:
        return
    if ctx.command == "start":
        ctx.reply(_("Halo! Saya bot SID Helpdesk.") + "\n\n" + help_text(ctx))
        return
    ctx.reply(_("Perintah /%(name)s tidak dikenal.") % {"name": escape(ctx.command)} + "\n\n" + help_text(ctx))
