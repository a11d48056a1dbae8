"""How tickets, messages and attachments appear to clients: the API's JSON bodies (documented by the output
serializers in `api.py`, which tests/tickets/test_schema_responses.py keeps equal to these), the actions a person
may take, and attachment downloads. Web pages and the API both use them; views never import the API module."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import FileResponse, HttpRequest

from helpdesk.accounts.presenters import person
from helpdesk.core.presenters import iso

from . import access, lifecycle, selectors
from .models import Attachment, Hosting, Message, Priority, Rating, Status, Ticket, Visibility


def ticket_actions(user: Any, ticket: Ticket) -> list[str]:
    """What this user may do to this ticket now, for clients to show the right buttons."""
    actions = []
    if access.can_reply(user, ticket):
        actions.append("reply")
    if access.can_add_internal_note(user, ticket):
        actions.append("internal_note")
    if access.is_forum_volunteer(user, ticket) and ticket.assignee_id is None and lifecycle.allowed("claim", ticket.status):
        actions.append("claim")
    if access.can_resolve(user, ticket) and lifecycle.allowed("resolve", ticket.status):
        actions.append("resolve")
    if access.can_close(user, ticket) and lifecycle.allowed("close", ticket.status):
        actions.append("close")
    if access.can_reopen(user, ticket) and lifecycle.allowed("reopen", ticket.status):
        actions.append("reopen")
    if access.can_triage(user, ticket):
        actions.append("edit")
        if lifecycle.allowed("duplicate", ticket.status):
            actions.append("duplicate")
    if access.can_rate(user, ticket):
        actions.append("rate")
    return actions


def attachment_dict(a: Attachment) -> dict[str, Any]:
    """AttachmentOut."""
    return {
        "id": a.pk, "name": a.name, "size": a.size, "content_type": a.content_type, "message": a.message_id,
        "url": f"/api/v1/attachments/{a.pk}/",
        "thumbnail_url": f"/api/v1/attachments/{a.pk}/?thumbnail=1" if a.thumbnail else None,
    }


def message_dict(m: Message) -> dict[str, Any]:
    """MessageOut."""
    return {
        "id": m.pk, "kind": m.kind, "internal": m.is_internal, "author": person(m.author), "body": m.body,
        "body_html": m.body_html, "source": m.source, "created_at": iso(m.created_at),
        "edited_at": iso(m.edited_at), "attachments": [attachment_dict(a) for a in m.attachments.all()],
    }


def rating_dict(rating: Rating) -> dict[str, Any]:
    """RatingOut."""
    return {"score": rating.score, "comment": rating.comment, "at": iso(rating.at)}


def _label(choices: type[models.TextChoices], value: str) -> str:
    """`get_FOO_display()` without building the field's choices dict on every call (four per ticket of a list):
    the value's label, or the value itself when it is not one of the choices."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def ticket_summary(t: Ticket, request: HttpRequest | None = None) -> dict[str, Any]:
    """TicketOut, the list representation, built by hand: lists are the hot path, and DRF's field machinery
    costs more than the query for a page of 100."""
    path = t.get_absolute_url()
    return {
        "id": t.pk, "number": t.number, "title": t.title,
        "status": t.status, "status_display": _label(Status, t.status),
        "priority": t.priority, "priority_display": _label(Priority, t.priority),
        "category": t.category.slug, "category_display": t.category.name,
        "hosting": t.hosting, "hosting_display": _label(Hosting, t.hosting),
        "opensid_version": t.opensid_version,
        "visibility": t.visibility, "visibility_display": _label(Visibility, t.visibility),
        "forum": t.forum_id, "forum_name": t.forum.name,
        "region_code": t.desa_id, "desa_name": t.desa.name,
        "reporter": person(t.reporter), "assignee": person(t.assignee),
        "reply_count": t.reply_count, "duplicate_of": t.duplicate_of_id,
        "created_at": iso(t.created_at), "updated_at": iso(t.updated_at),
        "first_response_at": iso(t.first_response_at), "first_response_due": iso(t.first_response_due),
        "resolution_due": iso(t.resolution_due), "resolved_at": iso(t.resolved_at), "closed_at": iso(t.closed_at),
        "url": request.build_absolute_uri(path) if request is not None else path,
    }


def ticket_detail(user: Any, ticket: Ticket, request: HttpRequest | None = None) -> dict[str, Any]:
    """TicketDetailOut: the summary with the thread this user may see, the rating and the user's actions."""
    rating = Rating.objects.filter(ticket=ticket).first()
    body = ticket_summary(ticket, request)
    body.update(
        description=ticket.description,
        description_html=ticket.description_html,
        accepted_message=ticket.accepted_message_id,
        messages=[message_dict(m) for m in selectors.ticket_messages(user, ticket)],
        attachments=[attachment_dict(a) for a in selectors.ticket_attachments(user, ticket)],
        rating=rating_dict(rating) if rating else None,
        actions=ticket_actions(user, ticket),
    )
    return body


def attachment_file_response(user: Any, attachment_id: int, *, thumbnail: bool = False) -> FileResponse:
    """Served only to people who may see the ticket; always as a download, never rendered inline."""
    attachment = selectors.access_attachment(user, attachment_id)
    want_thumb = bool(thumbnail and attachment.thumbnail)
    field = attachment.thumbnail if want_thumb else attachment.file
    response = FileResponse(
        field.open("rb"),
        as_attachment=True,
        filename=("thumb-" + attachment.name.rsplit(".", 1)[0] + ".jpg") if want_thumb else attachment.name,
        content_type="image/jpeg" if want_thumb else attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
