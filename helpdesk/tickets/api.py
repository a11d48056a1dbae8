"""The tickets API (`/api/v1/tickets/...`): parse, call a service or selector, format. Nothing else."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.accounts.models import User
from helpdesk.core import ratelimit
from helpdesk.core.uploads import UploadRejected, check_upload

from . import access, selectors, services
from .models import Attachment, Channel, Hosting, Message, Priority, Rating, Status, Ticket, Visibility


def me(request: Request | HttpRequest) -> User:
    """The signed-in user of a request that passed an authentication check."""
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated()
    return user


def _rate_limit(request: Request, scope: str) -> None:
    ratelimit.check(scope, me(request).pk)


class PersonOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")


class AttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    message = serializers.IntegerField(source="message_id", allow_null=True)
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    def get_url(self, obj: Attachment) -> str:
        return f"/api/v1/attachments/{obj.pk}/"

    def get_thumbnail_url(self, obj: Attachment) -> str | None:
        return f"/api/v1/attachments/{obj.pk}/?thumbnail=1" if obj.thumbnail else None


class MessageOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    internal = serializers.BooleanField(source="is_internal")
    author = PersonOut(allow_null=True)
    body = serializers.CharField()
    body_html = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    created_at = serializers.DateTimeField()
    attachments = AttachmentOut(many=True, source="attachments.all")


class TicketOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    priority = serializers.CharField()
    priority_display = serializers.CharField(source="get_priority_display")
    category = serializers.CharField(source="category.slug")
    category_display = serializers.CharField(source="category.name")
    hosting = serializers.CharField()
    hosting_display = serializers.CharField(source="get_hosting_display")
    opensid_version = serializers.CharField()
    visibility = serializers.CharField()
    visibility_display = serializers.CharField(source="get_visibility_display")
    forum = serializers.IntegerField(source="forum_id")
    forum_name = serializers.CharField(source="forum.name")
    region_code = serializers.CharField(source="desa_id")
    desa_name = serializers.CharField(source="desa.name")
    reporter = PersonOut()
    assignee = PersonOut(allow_null=True)
    reply_count = serializers.IntegerField()
    duplicate_of = serializers.IntegerField(source="duplicate_of_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    first_response_at = serializers.DateTimeField(allow_null=True)
    first_response_due = serializers.DateTimeField(allow_null=True)
    resolution_due = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField()

    def get_url(self, obj: Ticket) -> str:
        request = self.context.get("request")
        path = obj.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class RatingOut(serializers.Serializer):
    score = serializers.IntegerField()
    comment = serializers.CharField()
    at = serializers.DateTimeField()


class TicketDetailOut(TicketOut):
    """The detail representation, for the schema; `detail_response` builds it."""

    description = serializers.CharField()
    description_html = serializers.CharField()
    accepted_message = serializers.IntegerField(allow_null=True)
    messages = MessageOut(many=True)
    attachments = AttachmentOut(many=True)
    rating = RatingOut(allow_null=True)
    actions = serializers.ListField(child=serializers.CharField())


def ticket_actions(user: Any, ticket: Ticket) -> list[str]:
    """What this user may do to this ticket now, for clients to show the right buttons."""
    from . import lifecycle

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


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": user.display_name}


def _iso(value: Any) -> str | None:
    return serializers.DateTimeField().to_representation(value) if value else None


def attachment_dict(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.pk, "name": a.name, "size": a.size, "content_type": a.content_type, "message": a.message_id,
        "url": f"/api/v1/attachments/{a.pk}/",
        "thumbnail_url": f"/api/v1/attachments/{a.pk}/?thumbnail=1" if a.thumbnail else None,
    }


def message_dict(m: Message) -> dict[str, Any]:
    return {
        "id": m.pk, "kind": m.kind, "internal": m.is_internal, "author": _person(m.author), "body": m.body,
        "body_html": m.body_html, "source": m.source, "created_at": _iso(m.created_at),
        "attachments": [attachment_dict(a) for a in m.attachments.all()],
    }


def ticket_summary(t: Ticket, request: Request | None = None) -> dict[str, Any]:
    """The list representation (the fields of TicketOut), built by hand: lists are the hot path, and DRF's
    field machinery costs more than the query for a page of 100."""
    path = t.get_absolute_url()
    return {
        "id": t.pk, "number": t.number, "title": t.title,
        "status": t.status, "status_display": t.get_status_display(),
        "priority": t.priority, "priority_display": t.get_priority_display(),
        "category": t.category.slug, "category_display": t.category.name,
        "hosting": t.hosting, "hosting_display": t.get_hosting_display(),
        "opensid_version": t.opensid_version,
        "visibility": t.visibility, "visibility_display": t.get_visibility_display(),
        "forum": t.forum_id, "forum_name": t.forum.name,
        "region_code": t.desa_id, "desa_name": t.desa.name,
        "reporter": _person(t.reporter), "assignee": _person(t.assignee),
        "reply_count": t.reply_count, "duplicate_of": t.duplicate_of_id,
        "created_at": _iso(t.created_at), "updated_at": _iso(t.updated_at),
        "first_response_at": _iso(t.first_response_at), "first_response_due": _iso(t.first_response_due),
        "resolution_due": _iso(t.resolution_due), "resolved_at": _iso(t.resolved_at), "closed_at": _iso(t.closed_at),
        "url": request.build_absolute_uri(path) if request is not None else path,
    }


def detail_response(request: Request, ticket: Ticket, *, status_code: int = 200) -> Response:
    ticket = access.access_ticket(request.user, ticket.pk)
    rating = Rating.objects.filter(ticket=ticket).first()
    body = ticket_summary(ticket, request)
    body.update(
        description=ticket.description,
        description_html=ticket.description_html,
        accepted_message=ticket.accepted_message_id,
        messages=[message_dict(m) for m in selectors.ticket_messages(request.user, ticket)],
        attachments=[attachment_dict(a) for a in selectors.ticket_attachments(request.user, ticket)],
        rating={"score": rating.score, "comment": rating.comment, "at": _iso(rating.at)} if rating else None,
        actions=ticket_actions(request.user, ticket),
    )
    return Response(body, status=status_code)


class TicketListCreateApi(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, allow_blank=True, max_length=65536, trim_whitespace=False)
        category = serializers.SlugField(max_length=50)
        priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
        opensid_version = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")
        hosting = serializers.ChoiceField(choices=Hosting.choices, default=Hosting.LAINNYA)
        visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PRIVATE)

    class ListOutput(serializers.Serializer):
        results = TicketOut(many=True)
        next = serializers.CharField(allow_null=True)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, description="comma-separated: " + ", ".join(Status.values)),
            OpenApiParameter("forum", int),
            OpenApiParameter("region", str, description="region code prefix, e.g. 52.03"),
            OpenApiParameter("category", str),
            OpenApiParameter("assignee", str, description="me, none, or a user id"),
            OpenApiParameter("q", str),
            OpenApiParameter("cursor", str),
            OpenApiParameter("limit", int),
        ],
        responses=ListOutput,
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        forum = params.get("forum", "")
        filters = selectors.TicketFilters(
            status=[s for s in params.get("status", "").split(",") if s],
            forum=int(forum) if forum.isdigit() else None,
            region=params.get("region", "").strip(),
            category=params.get("category", "").strip(),
            assignee=params.get("assignee", "").strip(),
            q=params.get("q", ""),
            visibility=params.get("visibility", "").strip(),
        )
        limit = params.get("limit", "")
        try:
            rows, next_cursor = selectors.ticket_list(
                user=request.user,
                filters=filters,
                cursor=params.get("cursor", ""),
                limit=int(limit) if limit.isdigit() else selectors.DEFAULT_PAGE,
            )
        except selectors.BadCursor:
            raise exceptions.ValidationError({"cursor": [_("Kursor tidak valid.")]}) from None
        return Response({"results": [ticket_summary(t, request) for t in rows], "next": next_cursor})

    @extend_schema(request=InputSerializer, responses={201: TicketOut})
    def post(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _rate_limit(request, "ticket_create")
        ticket = services.ticket_create(reporter=me(request), channel=Channel.API, **serializer.validated_data)
        return Response(ticket_summary(ticket, request), status=status.HTTP_201_CREATED)


class TicketDetailApi(APIView):
    permission_classes = [AllowAny]

    class PatchInput(serializers.Serializer):
        category = serializers.SlugField(required=False)
        priority = serializers.ChoiceField(choices=Priority.choices, required=False)
        assignee = serializers.IntegerField(required=False, allow_null=True)

    @extend_schema(responses=TicketDetailOut)
    def get(self, request: Request, ticket_id: int) -> Response:
        return detail_response(request, access.access_ticket(request.user, ticket_id))

    @extend_schema(request=PatchInput, responses=TicketDetailOut)
    def patch(self, request: Request, ticket_id: int) -> Response:
        ticket = access.access_ticket(request.user, ticket_id)
        serializer = self.PatchInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        kwargs: dict[str, Any] = {"category": data.get("category"), "priority": data.get("priority")}
        if "assignee" in data:
            kwargs["assignee"] = None
            if data["assignee"] is not None:
                kwargs["assignee"] = User.objects.filter(pk=data["assignee"], is_active=True).first()
                if kwargs["assignee"] is None:
                    raise exceptions.ValidationError({"assignee": [_("Pengguna tidak ditemukan.")]})
        services.ticket_update(ticket=ticket, actor=me(request), channel=Channel.API, **kwargs)
        return detail_response(request, ticket)


class MessageCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=65536, trim_whitespace=False, required=False, allow_blank=True, default="")
        internal = serializers.BooleanField(default=False)
        canned = serializers.IntegerField(required=False, help_text="a canned reply; its placeholders (or those in body) are filled in")

    @extend_schema(request=InputSerializer, responses={201: MessageOut})
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = access.access_ticket(request.user, ticket_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _rate_limit(request, "message_create")
        data = dict(serializer.validated_data)
        canned_id = data.pop("canned", None)
        if canned_id is not None:
            from .canned import use

            data["body"] = use(canned_id, ticket, me(request), edited=data["body"])
        message = services.message_create(ticket=ticket, author=me(request), channel=Channel.API, **data)
        return Response(message_dict(message), status=status.HTTP_201_CREATED)


class _ActionApi(APIView):
    permission_classes = [IsAuthenticated]

    def act(self, request: Request, ticket: Ticket) -> None:
        raise NotImplementedError

    @extend_schema(request=None, responses=TicketDetailOut)
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = access.access_ticket(request.user, ticket_id)
        self.act(request, ticket)
        return detail_response(request, ticket)


class ClaimApi(_ActionApi):
    def act(self, request: Request, ticket: Ticket) -> None:
        services.ticket_claim(ticket=ticket, actor=me(request), channel=Channel.API)


class CloseApi(_ActionApi):
    def act(self, request: Request, ticket: Ticket) -> None:
        services.ticket_close(ticket=ticket, actor=me(request), channel=Channel.API)


class ReopenApi(_ActionApi):
    def act(self, request: Request, ticket: Ticket) -> None:
        services.ticket_reopen(ticket=ticket, actor=me(request), channel=Channel.API)


class ResolveApi(_ActionApi):
    class InputSerializer(serializers.Serializer):
        message = serializers.IntegerField(required=False, allow_null=True)

    @extend_schema(request=InputSerializer, responses=TicketDetailOut)
    def post(self, request: Request, ticket_id: int) -> Response:
        return super().post(request, ticket_id)

    def act(self, request: Request, ticket: Ticket) -> None:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.ticket_resolve(
            ticket=ticket, actor=me(request), message_id=serializer.validated_data.get("message"),
            channel=Channel.API,
        )


class DuplicateApi(_ActionApi):
    class InputSerializer(serializers.Serializer):
        of = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses=TicketDetailOut)
    def post(self, request: Request, ticket_id: int) -> Response:
        return super().post(request, ticket_id)

    def act(self, request: Request, ticket: Ticket) -> None:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            other = access.access_ticket(request.user, serializer.validated_data["of"])
        except Http404:
            raise exceptions.ValidationError({"of": [_("Tiket tujuan tidak ditemukan.")]}) from None
        services.ticket_mark_duplicate(ticket=ticket, actor=me(request), of=other, channel=Channel.API)


class RateApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        score = serializers.IntegerField(min_value=1, max_value=5)
        comment = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")

    @extend_schema(request=InputSerializer, responses={200: RatingOut})
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = access.access_ticket(request.user, ticket_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rating = services.ticket_rate(ticket=ticket, actor=me(request), **serializer.validated_data)
        return Response(RatingOut(rating).data)


class AttachmentCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request={"multipart/form-data": inline_serializer(
            "AttachmentUpload", {"file": serializers.FileField(), "message": serializers.IntegerField(required=False)}
        )},
        responses={201: AttachmentOut},
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = access.access_ticket(request.user, ticket_id)
        # Refuse an oversized body before Django spools it to disk.
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        limit = settings.ATTACHMENT_MAX_BYTES
        if declared > limit + 64 * 1024:
            return _too_large(limit)
        upload = request.FILES.get("file")
        if upload is None:
            raise exceptions.ValidationError({"file": [_("Pilih file yang akan dilampirkan.")]})
        message = None
        message_id = request.data.get("message")
        if message_id not in (None, ""):
            message = Message.objects.filter(pk=str(message_id), ticket=ticket).first() if str(message_id).isdigit() else None
            if message is None or (message.is_internal and not access.can_see_internal(request.user, ticket)):
                raise exceptions.ValidationError({"message": [_("Pesan itu bukan milik tiket ini.")]})
        _rate_limit(request, "attachment_create")
        try:
            checked = check_upload(upload.name or "", upload, declared_size=upload.size)
        except UploadRejected as exc:
            if exc.too_large:
                return _too_large(limit)
            raise exceptions.ValidationError({"file": [exc.message]}) from None
        attachment = services.attachment_add(ticket=ticket, actor=me(request), checked=checked, message=message)
        return Response(attachment_dict(attachment), status=status.HTTP_201_CREATED)


def _too_large(limit: int) -> Response:
    return Response(
        {"detail": _("File terlalu besar (maks. %(mb)d MB).") % {"mb": limit // (1024 * 1024)}, "code": "too_large"},
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


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


class AttachmentDownloadApi(APIView):
    permission_classes = [AllowAny]  # public tickets' files are public; access_attachment decides

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, attachment_id: int) -> FileResponse:
        return attachment_file_response(request.user, attachment_id, thumbnail=request.query_params.get("thumbnail") == "1")
