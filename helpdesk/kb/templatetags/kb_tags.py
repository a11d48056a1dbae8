"""The knowledge base's panel on the ticket page (registered in tickets.extensions.ticket_panels by kb.hooks)."""

from __future__ import annotations

from typing import Any

from django import template

from helpdesk.kb import access, selectors
from helpdesk.tickets import access as ticket_access
from helpdesk.tickets.extensions import ticket_panels

register = template.Library()


@register.inclusion_tag("kb/_ticket_panel_body.html", takes_context=True)
def kb_ticket_panel(context: Any, ticket: Any) -> dict[str, Any]:
    """For the ticket's volunteers: similar published answers, and the way to publish this one once solved."""
    user = context.get("user")
    if not ticket_access.can_triage(user, ticket):
        return {"panel": {"show": False}, "ticket": ticket}
    entry = selectors.entry_for_ticket(ticket)
    similar = [h for h in selectors.similar_for_ticket(ticket) if entry is None or h.entry_id != entry.pk]
    # The community forum's panel, when one is on the page, already offers "Terbitkan" for questions with an
    # accepted answer; one button is enough.
    forum_offers = bool(ticket.kb_candidate) and "forum" in ticket_panels
    panel = {
        "show": True,
        "entry": entry if entry is not None and access.can_see(user, entry) else None,
        "can_publish": entry is None and not forum_offers and access.can_publish_from_ticket(user, ticket),
        "similar": similar,
    }
    return {"panel": panel, "ticket": ticket, "user": user}
