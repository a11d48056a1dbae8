"""What a ticket looks like in Telegram: the card, the topic name, the summary, relayed replies and SLA lines.

Every text here is HTML for parse_mode=HTML, with each piece of user text escaped exactly once, and every
time labelled with the desa's zone (WIB, WITA, WIT). Messages about a ticket carry the subject `ticket:<id>`
(`ticket:<id>:m<message id>` when they relay one ticket message), so a reply to them is traced back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from helpdesk.accounts.models import User
from helpdesk.core.pii import mask
from helpdesk.regions.codes import parent_code, timezone_of
from helpdesk.regions.models import Region
from helpdesk.tickets import access, selectors
from helpdesk.tickets.models import Message, Status, Ticket

from .outbound import Buttons, button
from .text import cut, escape

ZONE_LABELS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
DONE = (Status.SELESAI, Status.DITUTUP, Status.DUPLIKAT)
CARD_DESCRIPTION = 700  # characters of the description shown on the card
RELAY_BODY = 3500


def subject_of(ticket_id: int, message_id: int | None = None) -> str:
    return f"ticket:{ticket_id}" + (f":m{message_id}" if message_id else "")


def parse_subject(subject: str) -> tuple[int | None, int | None]:
    parts = subject.split(":")
    if len(parts) < 2 or parts[0] != "ticket" or not parts[1].isdigit():
        return None, None
    message_id = int(parts[2][1:]) if len(parts) > 2 and parts[2][1:].isdigit() else None
    return int(parts[1]), message_id


def ticket_url(ticket: Ticket) -> str:
    return f"{settings.SITE_URL}{ticket.get_absolute_url()}"


def local_time(value: datetime | None, desa_id: str, fmt: str = "%d-%m-%Y %H:%M") -> str:
    """A time in the desa's zone, always with its label (WIB/WITA/WIT)."""
    if value is None:
        return "-"
    zone = timezone_of(desa_id)
    return f"{value.astimezone(ZoneInfo(zone)):{fmt}} {ZONE_LABELS.get(zone, zone)}"


def rule_line(every_message: bool) -> str:
    """The one line on the card that says what reaches the operator."""
    if every_message:
        return _("💬 Setiap pesan di topik ini terkirim ke operator desa. /catatan untuk catatan internal.")
    return _("💬 Yang terkirim ke operator: balasan pada kartu ini atau pada pesan operator, dan /balas. Pesan "
             "lain menjadi catatan internal.")


def masked(text: str) -> str:
    """What a team's group may read of a ticket: NIK, KK and phone numbers masked. The group is wider than the
    ticket's audience (anyone an admin adds); the web page and the operator's own chat keep the full text."""
    return mask(text)[0]


def card(ticket: Ticket, *, every_message: bool = False) -> str:
    """The ticket card: title, desa and kecamatan, category, version, priority, SLA due, state, the description,
    the rule for replies, the link. Every state change edits this message instead of adding lines."""
    kecamatan_code = parent_code(ticket.desa_id) or ""
    kecamatan = Region.objects.filter(code=kecamatan_code).values_list("name", flat=True).first() or "-"
    if ticket.assignee_id:
        assignee = User.objects.filter(pk=ticket.assignee_id).first()
        state = _("%(status)s · %(name)s") % {"status": ticket.get_status_display(),
                                                "name": assignee.display_name if assignee else "-"}
    else:
        state = str(ticket.get_status_display())
    due = ticket.first_response_due if ticket.first_response_at is None else ticket.resolution_due
    description = masked(ticket.description.strip())
    lines = [
        f"<b>#{escape(ticket.number)}</b> {escape(masked(ticket.title))}",
        _("Desa: %(desa)s, Kec. %(kec)s") % {"desa": escape(ticket.desa.name), "kec": escape(kecamatan)},
        _("Kategori: %(c)s") % {"c": escape(ticket.category.name)},
        _("Versi OpenSID: %(v)s") % {"v": escape(ticket.opensid_version or "-")},
        _("Prioritas: %(p)s") % {"p": ticket.get_priority_display()},
        _("Batas waktu: %(due)s") % {"due": local_time(due, ticket.desa_id)} if ticket.is_open else "",
        _("Status: %(s)s") % {"s": escape(state)},
        f"\n<blockquote>{escape(cut(description, CARD_DESCRIPTION))}</blockquote>" if description else "",
        "\n" + rule_line(every_message) if ticket.is_open else "",
        ticket_url(ticket),
    ]
    return "\n".join(line for line in lines if line)


def card_buttons(ticket: Ticket) -> Buttons:
    row = [button(_("Buka di web"), url=ticket_url(ticket))]
    if ticket.is_open and ticket.assignee_id is None:
        row.insert(0, button(_("Saya tangani"), callback_data=f"claim:{ticket.pk}"))
    return [row]


def topic_name(ticket: Ticket) -> str:
    mark = "✅ " if ticket.status in DONE else ""
    return f"{mark}#{ticket.number} {masked(ticket.title)}"[:128]


def role_of(ticket: Ticket, user: User | None) -> str:
    if user is None:
        return ""
    if access.is_desa_side(user, ticket):
        return _("operator desa")
    if access.is_forum_volunteer(user, ticket):
        return _("relawan")
    return ""


def relayed(message: Message) -> str:
    """A public reply written on the web, as posted in the group."""
    name = message.author.display_name if message.author else _("Sistem")
    role = role_of(message.ticket, message.author)
    head = f"💬 <b>{escape(masked(name))}</b>" + (f" ({escape(role)})" if role else "")
    body = masked(message.body).strip()
    text = f"{head}:\n{escape(cut(body, RELAY_BODY))}"
    if len(body) > RELAY_BODY:  # cut: say where the rest is
        text += "\n" + _("Selengkapnya di web: %(url)s") % {"url": ticket_url(message.ticket)}
    return text


def sla_line(ticket: Ticket, kind: str) -> str:
    """An SLA warning or breach, with the due time in the desa's zone."""
    first = ticket.first_response_at is None
    due = ticket.first_response_due if first else ticket.resolution_due
    what = _("respons pertama") if first else _("penyelesaian")
    values = {"n": escape(ticket.number), "what": what, "due": local_time(due, ticket.desa_id)}
    if kind == "sla_breach":
        return _("⏰ Tiket #%(n)s melewati batas %(what)s (%(due)s).") % values
    return _("⏰ Tiket #%(n)s mendekati batas %(what)s (%(due)s).") % values


def summary(ticket: Ticket) -> str:
    lines = [card(ticket)]
    last = selectors.latest_public_reply(ticket.pk)
    if last is not None:
        name = last.author.display_name if last.author else _("Sistem")
        lines.append(_("Balasan terakhir (%(name)s): %(body)s") % {"name": escape(masked(name)),
                                                                    "body": escape(cut(masked(last.body), 300))})
    return "\n\n".join(lines)


def changed_line(ticket: Ticket, changes: dict[str, list[Any]]) -> str:
    """The one change that still gets a line of its own: an escalation, said in the group it leaves."""
    if "forum_id" in changes and ticket.forum_id:
        return _("⏫ Tiket dieskalasi ke %(f)s.") % {"f": escape(ticket.forum.name)}
    return ""
