"""The tickets API (`/api/v1/tickets/...`): parse, call a service or selector, format. Nothing else."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.accounts.models import User
from helpdesk.accounts.presenters import current_user
from helpdesk.core import ratelimit
from helpdesk.core.api import ChangeInput
from helpdesk.core.errors import TooLarge
from helpdesk.core.idempotency import SCHEMA_PARAMETER as IDEMPOTENCY_KEY
from helpdesk.core.idempotency import idempotent
from helpdesk.core.ids import IdField, to_id
from helpdesk.core.uploads import UploadRejected, check_upload

from . import access, presenters, selectors, services
from .api_filters import list_filters
from .models import Attachment, Channel, Hosting, Message, Priority, Status, Ticket, Visibility


def _rate_limit(request: Request, scope: str) -> None:
    ratelimit.check(scope, current_user(request).pk)


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


class PostOut(serializers.Serializer):
    """What a ticket message and a forum answer share."""

    id = serializers.IntegerField()
    author = PersonOut(allow_null=True)
    body = serializers.CharField()
    body_html = serializers.CharField()
    source = serializers.CharField(help_text="web, api, telegram, email or system")  # type: ignore[assignment]
    created_at = serializers.DateTimeField()
    attachments = AttachmentOut(many=True, source="attachments.all")


class MessageOut(PostOut):
    kind = serializers.CharField()
    internal = serializers.BooleanField(source="is_internal")
    edited_at = serializers.DateTimeField(allow_null=True, help_text="when its author last changed it, or null")


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
    """The detail representation; `presenters.ticket_detail` builds it."""

    description = serializers.CharField()
    description_html = serializers.CharField()
    accepted_message = serializers.IntegerField(allow_null=True)
    messages = MessageOut(many=True)
    attachments = AttachmentOut(many=True)
    rating = RatingOut(allow_null=True)
    actions = serializers.ListField(child=serializers.CharField())


class TicketListCreateApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="TicketCreateInput")
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, allow_blank=True, max_length=65536, trim_whitespace=False)
        category = serializers.SlugField(max_length=50)
        priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
        opensid_version = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")
        hosting = serializers.ChoiceField(choices=Hosting.choices, default=Hosting.LAINNYA)
        visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PRIVATE)

    @extend_schema_serializer(component_name="TicketListOutput")
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
            OpenApiParameter("visibility", str, enum=Visibility.values),
            OpenApiParameter("cursor", str, description="the `next` of the previous page"),
            OpenApiParameter("limit", int, description=f"1..{selectors.MAX_PAGE}, default {selectors.DEFAULT_PAGE}"),
        ],
        responses=ListOutput,
    )
    def get(self, request: Request) -> Response:
        # Signed in, as the API contract says; anyone reads public questions at /forum/questions/ and each
        # public ticket at its own address.
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        params = request.query_params
        filters = list_filters(params)
        try:
            rows, next_cursor = selectors.ticket_list(
                user=request.user,
                filters=filters,
                cursor=params.get("cursor", ""),
                limit=_page_size(params.get("limit", "")),
            )
        except selectors.BadCursor:
            raise exceptions.ValidationError({"cursor": [_("Kursor tidak valid.")]}) from None
        return Response({"results": [presenters.ticket_summary(t, request) for t in rows], "next": next_cursor})

    @extend_schema(request=InputSerializer, responses={201: TicketOut}, parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _rate_limit(request, "ticket_create")
        ticket = services.ticket_create(reporter=current_user(request), channel=Channel.API, **serializer.validated_data)
        return Response(presenters.ticket_summary(ticket, request), status=status.HTTP_201_CREATED)


class TicketDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="TicketPatchInput")
    class PatchInput(ChangeInput):
        elsewhere = {"status": gettext_lazy("Status berubah lewat aksi tiket: claim, resolve, close, reopen, duplicate.")}

        category = serializers.SlugField(required=False)
        priority = serializers.ChoiceField(choices=Priority.choices, required=False)
        assignee = IdField(required=False, allow_null=True)

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
        services.ticket_update(ticket=ticket, actor=current_user(request), channel=Channel.API, **kwargs)
        return detail_response(request, ticket)


class MessageCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="MessageCreateInput")
    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=65536, trim_whitespace=False, required=False, allow_blank=True, default="")
        internal = serializers.BooleanField(default=False)
        canned = IdField(required=False, help_text="a canned reply; its placeholders (or those in body) are filled in")

    @extend_schema(request=InputSerializer, responses={201: MessageOut}, parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = access.access_ticket(request.user, ticket_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _rate_limit(request, "message_create")
        data = dict(serializer.validated_data)
        canned_id = data.pop("canned", None)
        if canned_id is not None:
            from .canned import use

            data["body"] = use(canned_id, ticket, current_user(request), edited=data["body"])
        message = services.message_create(ticket=ticket, author=current_user(request), channel=Channel.API, **data)
        return Response(presenters.message_dict(message), status=status.HTTP_201_CREATED)


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
        services.ticket_claim(ticket=ticket, actor=current_user(request), channel=Channel.API)


class CloseApi(_ActionApi):
    def act(self, request: Request, ticket: Ticket) -> None:
        services.ticket_close(ticket=ticket, actor=current_user(request), channel=Channel.API)


class ReopenApi(_ActionApi):
    def act(self, request: Request, ticket: Ticket) -> None:
        services.ticket_reopen(ticket=ticket, actor=current_user(request), channel=Channel.API)


class ResolveApi(_ActionApi):
    @extend_schema_serializer(component_name="TicketResolveInput")
    class InputSerializer(serializers.Serializer):
        message = IdField(required=False, allow_null=True)

    @extend_schema(request=InputSerializer, responses=TicketDetailOut)
    def post(self, request: Request, ticket_id: int) -> Response:
        return super().post(request, ticket_id)

    def act(self, request: Request, ticket: Ticket) -> None:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.ticket_resolve(
            ticket=ticket, actor=current_user(request), message_id=serializer.validated_data.get("message"),
            channel=Channel.API,
        )


class DuplicateApi(_ActionApi):
    @extend_schema_serializer(component_name="TicketDuplicateInput")
    class InputSerializer(serializers.Serializer):
        of = IdField()

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
        services.ticket_mark_duplicate(ticket=ticket, actor=current_user(request), of=other, channel=Channel.API)


class RateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="RatingInput")
    class InputSerializer(serializers.Serializer):
        score = serializers.IntegerField(min_value=1, max_value=5)
        comment = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")

    @extend_schema(request=InputSerializer, responses={200: RatingOut})
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = access.access_ticket(request.user, ticket_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rating = services.ticket_rate(ticket=ticket, actor=current_user(request), **serializer.validated_data)
        return Response(RatingOut(rating).data)


class AttachmentCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request={"multipart/form-data": inline_serializer(
            "AttachmentUpload", {"file": serializers.FileField(), "message": IdField(required=False)}
        )},
        responses={201: AttachmentOut},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = access.access_ticket(request.user, ticket_id)
        # Refuse an oversized body before Django spools it to disk.
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        limit = settings.ATTACHMENT_MAX_BYTES
        if declared > limit + 64 * 1024:
            raise _too_large(limit)
        upload = request.FILES.get("file")
        if upload is None:
            raise exceptions.ValidationError({"file": [_("Pilih berkas yang akan dilampirkan.")]})
        message = None
        message_id = request.data.get("message")
        if message_id not in (None, ""):
            message = Message.objects.filter(pk=to_id(message_id) or 0, ticket=ticket).first()
            if message is None or (message.is_internal and not access.can_see_internal(request.user, ticket)):
                raise exceptions.ValidationError({"message": [_("Pesan itu bukan milik tiket ini.")]})
        _rate_limit(request, "attachment_create")
        try:
            checked = check_upload(upload.name or "", upload, declared_size=upload.size)
        except UploadRejected as exc:
            if exc.too_large:
                raise _too_large(limit) from None
            raise exceptions.ValidationError({"file": [exc.message]}) from None
        attachment = services.attachment_add(ticket=ticket, actor=current_user(request), checked=checked, message=message)
        return Response(presenters.attachment_dict(attachment), status=status.HTTP_201_CREATED)


def _page_size(raw: str) -> int:
    """`limit` from the query string: ASCII digits (int() refuses "²" and numbers of thousands of digits), else
    the default; the selector clamps it to 1..MAX_PAGE."""
    if not (raw.isascii() and raw.isdigit()):
        return selectors.DEFAULT_PAGE
    return selectors.MAX_PAGE if len(raw.lstrip("0")) > 6 else int(raw)


def _too_large(limit: int) -> TooLarge:
    return TooLarge(_("Berkas terlalu besar (maks. %(mb)d MB).") % {"mb": limit // (1024 * 1024)})


def detail_response(request: Request, ticket: Ticket, *, status_code: int = 200) -> Response:
    ticket = access.access_ticket(request.user, ticket.pk)
    return Response(presenters.ticket_detail(request.user, ticket, request), status=status_code)


class AttachmentDownloadApi(APIView):
    permission_classes = [AllowAny]  # public tickets' files are public; access_attachment decides

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, attachment_id: int) -> FileResponse:
        return presenters.attachment_file_response(request.user, attachment_id, thumbnail=request.query_params.get("thumbnail") == "1")
