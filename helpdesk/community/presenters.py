"""How community questions, answers and comments appear to clients: the API's JSON bodies (documented by the
output serializers in `api.py`, which tests/community/test_schema_responses.py keeps equal to these) and the
actions a person may take on a question."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from helpdesk.accounts.access import AnyUser
from helpdesk.accounts.presenters import person
from helpdesk.core.presenters import iso
from helpdesk.tickets import access as ticket_access
from helpdesk.tickets.models import Ticket
from helpdesk.tickets.presenters import attachment_dict

from . import access, selectors, services
from .models import Comment


def question_summary(t: Ticket, request: Request | None = None) -> dict[str, Any]:
    path = services.question_url(t)
    return {
        "id": t.pk, "number": t.number, "title": t.title,
        "status": t.status, "status_display": t.get_status_display(),
        "solved": t.accepted_message_id is not None and t.status in selectors.SOLVED_STATUSES,
        "accepted_message": t.accepted_message_id,
        "category": t.category.slug, "category_display": t.category.name,
        "region_code": t.desa_id, "desa_name": t.desa.name,
        "asker": person(t.reporter),
        "reply_count": t.reply_count, "is_locked": t.is_locked, "kb_candidate": t.kb_candidate,
        "duplicate_of": t.duplicate_of_id,
        "created_at": iso(t.created_at), "updated_at": iso(t.updated_at),
        "url": request.build_absolute_uri(path) if request is not None else path,
        "ticket_url": t.get_absolute_url(),
    }



def comment_dict(c: Comment) -> dict[str, Any]:
    return {
        "id": c.pk, "message": c.message_id, "author": person(c.author), "body": c.body, "body_html": c.body_html,
        "hidden": c.is_hidden, "created_at": iso(c.created_at), "edited_at": iso(c.edited_at),
    }



def answer_dict(a: selectors.Answer) -> dict[str, Any]:
    m = a.message
    return {
        "id": m.pk, "author": person(m.author), "body": m.body, "body_html": m.body_html, "source": m.source,
        "by_volunteer": m.by_volunteer, "accepted": a.accepted, "score": a.score, "upvotes": a.upvotes,
        "downvotes": a.downvotes, "my_vote": a.mine, "hidden": m.is_hidden,
        "created_at": iso(m.created_at), "edited_at": iso(m.edited_at),
        "attachments": [attachment_dict(x) for x in m.attachments.all()],
        "comments": [comment_dict(c) for c in a.comments],
    }



def question_actions(user: AnyUser, ticket: Ticket) -> list[str]:
    actions = []
    if ticket_access.can_reply(user, ticket):
        actions.append("answer")
    if access.can_comment(user, ticket):
        actions.append("comment")
    if access.can_vote_on(user, ticket):
        actions.append("vote")
    if access.can_accept(user, ticket):
        actions.append("accept")
    if access.can_close_duplicate(user, ticket):
        actions.append("close_duplicate")
    if access.can_flag(user):
        actions.append("flag")
    if access.can_edit(user, ticket, author_id=ticket.reporter_id):
        actions.append("edit")
    if access.is_moderator(user, ticket):
        actions += ["moderate", "hide", "lock" if not ticket.is_locked else "unlock", "move"]
    return actions



def question_summary_min(t: Ticket | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"id": t.pk, "number": t.number, "title": t.title, "url": services.question_url(t) if t.is_public else None}
