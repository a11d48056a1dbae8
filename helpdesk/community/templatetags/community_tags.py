"""Small template helpers for forum pages (no queries beyond what the page selector already loaded)."""

from __future__ import annotations

from typing import Any

from django import template

from helpdesk.community import access, reputation
from helpdesk.community.models import PublicProposal
from helpdesk.tickets import access as ticket_access

register = template.Library()


@register.simple_tag
def forum_standing(user: Any) -> reputation.Standing:
    return reputation.standing(user)


@register.inclusion_tag("community/_ticket_panel_body.html", takes_context=True)
def forum_ticket_panel(context: Any, ticket: Any) -> dict[str, Any]:
    """On the ticket page: the way to the forum for public tickets, the volunteers' proposal to make a private one
    public, and the reporter's way to the pending proposal."""
    user = context.get("user")
    pending = None
    if not ticket.is_public:
        pending = PublicProposal.objects.filter(ticket=ticket, state=PublicProposal.State.PENDING).first()
    panel = {
        "public": ticket.is_public,
        "can_publish": ticket_access.can_triage(user, ticket),
        "pending": pending,
        "is_reporter": bool(user is not None and getattr(user, "pk", None) == ticket.reporter_id),
        "can_propose": pending is None and access.can_propose_public(user, ticket),
    }
    return {"panel": panel, "ticket": ticket, "user": user, "csrf_token": context.get("csrf_token")}
