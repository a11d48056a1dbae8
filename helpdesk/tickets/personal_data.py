"""A person's own data, for download (UU PDP 27/2022, the right of access): the profile, the tickets they
reported with the replies they could read there, what they wrote elsewhere, and the names of their
attachments. Internal notes are the volunteers' and stay out, as on the ticket page.

It lives in `tickets` because it reads tickets; `accounts`, below, cannot. The web page and the API call
the same function, `personal_data_export`."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from helpdesk.accounts.models import User

from .models import Attachment, Message, Ticket


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


def _attachment(a: Attachment) -> dict[str, Any]:
    return {"id": a.pk, "name": a.name, "size": a.size, "content_type": a.content_type,
            "created_at": _when(a.created_at)}


def _message(m: Message, user: User) -> dict[str, Any]:
    return {"id": m.pk, "ticket": m.ticket.number, "author": m.author.display_name if m.author else None,
            "mine": m.author_id == user.pk, "body": m.body, "created_at": _when(m.created_at)}


def personal_data_export(*, user: User) -> dict[str, Any]:
    tickets = Ticket.objects.filter(reporter=user).select_related("desa", "category").order_by("pk")
    replies = (Message.objects.filter(ticket__reporter=user, kind=Message.Kind.REPLY)
               .select_related("ticket", "author").order_by("pk"))
    by_ticket: dict[int, list[dict[str, Any]]] = {}
    for m in replies:
        by_ticket.setdefault(m.ticket_id, []).append(_message(m, user))
    attachments: dict[int, list[dict[str, Any]]] = {}
    for a in Attachment.objects.filter(ticket__reporter=user).exclude(message__kind=Message.Kind.INTERNAL).order_by("pk"):
        attachments.setdefault(a.ticket_id, []).append(_attachment(a))
    elsewhere = (Message.objects.filter(author=user).exclude(ticket__reporter=user)
                 .select_related("ticket", "author").order_by("pk"))
    return {
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "id": user.pk, "username": user.username, "name": user.name, "email": user.email, "phone": user.phone,
            "desa_code": user.desa_id, "operator_status": user.operator_status, "language": user.language,
            "timezone": user.timezone, "date_joined": _when(user.date_joined), "last_login": _when(user.last_login),
        },
        "tickets": [
            {"id": t.pk, "number": t.number, "title": t.title, "description": t.description, "status": t.status,
             "visibility": t.visibility, "category": t.category.slug,
             "desa_code": t.desa_id, "created_at": _when(t.created_at),
             "messages": by_ticket.get(t.pk, []), "attachments": attachments.get(t.pk, [])}
            for t in tickets
        ],
        "messages_elsewhere": [_message(m, user) for m in elsewhere],
    }


def _download(user: User) -> HttpResponse:
    body = json.dumps(personal_data_export(user=user), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="data-saya-{user.username}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def personal_data_page(request: HttpRequest) -> HttpResponse:
    """GET /profil/data-saya/: the same JSON as the API, as a download."""
    assert isinstance(request.user, User)
    return _download(request.user)


class PersonalDataApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="Unduh data pribadi saya (UU PDP)")
    def get(self, request: Request) -> HttpResponse:
        assert isinstance(request.user, User)
        return _download(request.user)
