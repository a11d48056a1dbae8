"""A new ticket: who may file it, masking of public text, routing to a forum, the number, the SLA deadlines."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.access import is_verified_operator
from helpdesk.accounts.models import User
from helpdesk.core.deadlocks import retrying
from helpdesk.core.markdown import render_markdown
from helpdesk.core.pii import mask

from .. import access, events, routing, sla
from ..models import (
    Channel,
    Hosting,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    Visibility,
)
from ..numbers import next_number
from .common import (
    active_category,
    check_choice,
    check_text,
)

MAX_TITLE_CHARS = 200


@retrying
def ticket_create(
    *,
    reporter: User,
    title: str,
    description: str = "",
    category: str,
    priority: str = Priority.NORMAL,
    opensid_version: str = "",
    hosting: str = Hosting.LAINNYA,
    visibility: str = Visibility.PRIVATE,
    channel: str = Channel.WEB,
) -> Ticket:
    if not is_verified_operator(reporter):
        raise PermissionDenied(_("Hanya operator desa yang sudah diverifikasi yang bisa membuat tiket."))
    title = check_text("title", title, required=True)
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationError({"title": [_("Judul terlalu panjang (maks. 200 karakter).")]})
    description = check_text("description", description)
    check_choice("priority", priority, Priority.values)
    check_choice("hosting", hosting, Hosting.values)
    check_choice("visibility", visibility, Visibility.values)
    category_obj = active_category(category)
    opensid_version = (opensid_version or "").strip()[:40]
    masked_kinds: list[str] = []
    if visibility == Visibility.PUBLIC:  # anyone may read it: personal data out first, whatever the entry point
        title, in_title = mask(title)
        title = title[:MAX_TITLE_CHARS]
        description, in_description = mask(description)
        masked_kinds = sorted(set(in_title) | set(in_description))

    with transaction.atomic():
        ticket = Ticket(
            title=title,
            description=description,
            description_html=render_markdown(description),
            category=category_obj,
            priority=priority,
            opensid_version=opensid_version,
            hosting=hosting,
            visibility=visibility,
            desa=reporter.desa,
            reporter=reporter,
        )
        decision = routing.route(ticket)
        ticket.forum = decision.forum
        ticket.assignee = decision.assignee
        ticket.status = Status.DITANGANI if decision.assignee else Status.BARU
        access.check_post(reporter, ticket, f"{title}\n{description}")
        ticket.number = next_number(ticket.desa_id)
        now = timezone.now()
        ticket.created_at = ticket.updated_at = now
        sla.apply_deadlines(ticket)
        ticket.save()
        audit = [
            TicketEvent(ticket=ticket, actor=reporter, action="created", new=ticket.number, channel=channel),
            TicketEvent(ticket=ticket, action="routed", new=ticket.forum.name[:200], note=decision.reason),
        ]
        if decision.assignee:
            audit.append(TicketEvent(ticket=ticket, action="assigned", new=decision.assignee.username,
                                      note=decision.reason))
        TicketEvent.objects.bulk_create(audit)
        ticket.previous_forum_ids = frozenset()  # a new ticket has not been escalated: no need to ask
        ticket.masked_kinds = masked_kinds  # type: ignore[attr-defined]
        events.ticket_created(ticket)
    return ticket
