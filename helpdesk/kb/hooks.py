"""What the knowledge base plugs into the rest of the system, from its app's ready(): the "kb" search source, the
panel on the ticket page, the "Sebelum mengirim" step of the ticket form, and its notification events."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from helpdesk.accounts.preferences import NOTIFICATION_EVENTS, NotificationEvent
from helpdesk.tickets import views as ticket_views
from helpdesk.tickets.models import Ticket

from . import deflection, indexing, selectors
from .models import DeflectionLog

NOTIFICATION_EVENTS.setdefault("kb_review_request", NotificationEvent(_("Entri basis pengetahuan menunggu persetujuan saya")))
NOTIFICATION_EVENTS.setdefault("kb_reviewed", NotificationEvent(_("Entri basis pengetahuan saya disetujui atau dikembalikan")))

indexing.register()

if "kb/_ticket_panel.html" not in ticket_views.TICKET_PANELS:
    ticket_views.TICKET_PANELS.append("kb/_ticket_panel.html")


def before_ticket(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any] | None:
    """Without JavaScript, the suggestions show when the form is sent: "Sebelum mengirim, apakah ini jawabannya?".
    With JavaScript they were already shown under the form while typing (suggest.js marks the form), so the
    ticket goes through."""
    if request.POST.get("saran_dilihat"):
        return None
    hits = selectors.suggest_or_nothing(f"{data.get('title', '')}\n{data.get('description', '')}")
    if not hits:
        return None
    logs = deflection.record_shown(session_key=deflection.session_key(request), user=request.user,
                                   entry_ids=[h.entry_id for h in hits], channel=DeflectionLog.Channel.FORM)
    return {
        "template": "kb/_presubmit.html",
        "suggestions": [{"hit": h, "link": deflection.link(h.url, logs.get(h.entry_id))} for h in hits],
        "had_file": bool(request.FILES),
    }


def after_ticket(request: HttpRequest, ticket: Ticket) -> None:
    deflection.record_ticket_filed(session_key=deflection.session_key(request), ticket=ticket)


_HOOK = ticket_views.TicketNewHook(before=before_ticket, after=after_ticket)
if _HOOK not in ticket_views.TICKET_NEW_HOOKS:
    ticket_views.TICKET_NEW_HOOKS.append(_HOOK)
