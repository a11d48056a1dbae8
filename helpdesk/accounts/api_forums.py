"""API of ForSID forums: the forums (admins), their members and invitations (the forum's coordinators)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.core.api import ChangeInput, error_responses
from helpdesk.core.ids import IdField

from . import forum_services
from .access import access_forum, access_membership, can_manage_forum, is_admin
from .api import category_slugs
from .models import Forum, ForumMembership, Invitation, User
from .selectors import (
    forum_get,
    forum_invitations,
    forum_list,
    forum_members,
    invitation_get,
    invitation_state,
    user_by_username,
)


class RegionRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()


class ForumOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    mode = serializers.ChoiceField(choices=Forum.Mode.choices)
    mode_display = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True)  # type: ignore[assignment]  # shadows Field.parent
    parent_name = serializers.CharField(allow_null=True)
    telegram_chat_id = serializers.IntegerField(allow_null=True)
    is_active = serializers.BooleanField()
    region_codes = serializers.ListField(child=serializers.CharField())
    regions = RegionRefSerializer(many=True)


def forum_payload(forum: Forum) -> dict[str, Any]:
    coverage = list(forum.coverage.all())
    return {
        "id": forum.pk,
        "name": forum.name,
        "slug": forum.slug,
        "mode": forum.mode,
        "mode_display": forum.get_mode_display(),
        "parent": forum.parent_id,
        "parent_name": forum.parent.name if forum.parent else None,
        "telegram_chat_id": forum.telegram_chat_id,
        "is_active": forum.is_active,
        "region_codes": [c.region_id for c in coverage],
        "regions": [{"code": c.region_id, "name": c.region.name, "kind": c.region.kind} for c in coverage],
    }


class ForumInputSerializer(ChangeInput):
    name = serializers.CharField(max_length=120)
    region_codes = serializers.ListField(child=serializers.CharField(max_length=20), required=False, max_length=500)
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]  # shadows Field.parent
        queryset=Forum.objects.all(), allow_null=True, required=False
    )
    mode = serializers.ChoiceField(choices=Forum.Mode.choices, required=False)
    # A Telegram chat id is a signed 64-bit number (groups are negative); a longer one must not reach the database.
    telegram_chat_id = IdField(allow_null=True, required=False)
    is_active = serializers.BooleanField(required=False)


class ForumListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="forums_list",
        responses={200: ForumOutputSerializer(many=True), **error_responses(401)},
        tags=["forum"],
        description="Forum tempat pemanggil menjadi anggota; semua forum untuk admin.",
    )
    def get(self, request: Request) -> Response:
        return Response([forum_payload(f) for f in forum_list(user=request.user)])  # type: ignore[arg-type]

    @extend_schema(
        operation_id="forums_create",
        request=ForumInputSerializer,
        responses={201: ForumOutputSerializer, **error_responses(400, 401, 403)},
        tags=["forum"],
        description="Admin: forum baru. Satu simpul wilayah hanya milik satu forum (400 bila sudah dicakup).",
    )
    def post(self, request: Request) -> Response:
        if not is_admin(request.user):
            raise exceptions.PermissionDenied(_("Hanya admin yang membuat forum."))
        data = ForumInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        forum = forum_services.forum_create(actor=request.user, data=dict(data.validated_data))  # type: ignore[arg-type]
        return Response(forum_payload(forum_get(forum.pk) or forum), status=status.HTTP_201_CREATED)


class ForumDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="forums_detail", responses={200: ForumOutputSerializer, **error_responses(401, 403, 404)}, tags=["forum"]
    )
    def get(self, request: Request, forum_id: int) -> Response:
        access_forum(request.user, forum_id)
        return Response(forum_payload(forum_get(forum_id)))  # type: ignore[arg-type]

    @extend_schema(
        operation_id="forums_update",
        request=ForumInputSerializer(partial=True),
        responses={200: ForumOutputSerializer, **error_responses(400, 401, 403, 404)},
        tags=["forum"],
        description="Admin: ubah forum. `region_codes` menggantikan seluruh cakupan wilayahnya.",
    )
    def patch(self, request: Request, forum_id: int) -> Response:
        forum = access_forum(request.user, forum_id, manage=True)
        if not is_admin(request.user):
            raise exceptions.PermissionDenied(_("Hanya admin yang mengubah forum."))
        data = ForumInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        forum_services.forum_update(actor=request.user, forum=forum, data=dict(data.validated_data))  # type: ignore[arg-type]
        return Response(forum_payload(forum_get(forum_id)))  # type: ignore[arg-type]


# --- Members -----------------------------------------------------------------------------------------------


class MemberOutputSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=ForumMembership.Role.choices)
    categories = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    available = serializers.BooleanField()
    work_start = serializers.TimeField(allow_null=True)
    work_end = serializers.TimeField(allow_null=True)
    max_open_tickets = serializers.IntegerField()
    joined_at = serializers.DateTimeField()


def member_payload(m: ForumMembership) -> dict[str, Any]:
    return {
        "user": m.user_id,
        "username": m.user.username,
        "name": m.user.display_name,
        "role": m.role,
        "categories": [c.slug for c in m.categories.all()],
        "is_active": m.is_active,
        "available": m.available,
        "work_start": m.work_start.strftime("%H:%M") if m.work_start else None,
        "work_end": m.work_end.strftime("%H:%M") if m.work_end else None,
        "max_open_tickets": m.max_open_tickets,
        "joined_at": serializers.DateTimeField().to_representation(m.joined_at),
    }


class ForumMembersApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="ForumMembersInput")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        role = serializers.ChoiceField(choices=ForumMembership.Role.choices, default=ForumMembership.Role.VOLUNTEER)
        categories = category_slugs(required=False)

    @extend_schema(
        operation_id="forums_members",
        responses={200: MemberOutputSerializer(many=True), **error_responses(401, 403, 404)},
        tags=["forum"],
        description="Anggota aktif forum; `?all=1` juga yang dinonaktifkan (koordinator, admin).",
    )
    def get(self, request: Request, forum_id: int) -> Response:
        forum = access_forum(request.user, forum_id)
        include_inactive = request.query_params.get("all") == "1" and can_manage_forum(request.user, forum)
        members = forum_members(forum=forum, include_inactive=include_inactive)
        return Response([member_payload(m) for m in members])

    @extend_schema(
        operation_id="forums_members_add",
        request=InputSerializer,
        responses={201: MemberOutputSerializer, **error_responses(400, 401, 403, 404)},
        tags=["forum"],
        description="Tambahkan akun yang sudah ada ke forum (koordinator forum ini, admin).",
    )
    def post(self, request: Request, forum_id: int) -> Response:
        forum = access_forum(request.user, forum_id, manage=True)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_by_username(data.validated_data["username"])
        if user is None:
            raise exceptions.ValidationError({"username": [_("Akun dengan nama pengguna ini tidak ditemukan.")]})
        membership = forum_services.membership_add(
            actor=request.user,  # type: ignore[arg-type]
            forum=forum,
            user=user,
            role=data.validated_data["role"],
            categories=data.validated_data.get("categories", []),
        )
        return Response(member_payload(membership), status=status.HTTP_201_CREATED)


class ForumMemberDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="ForumMemberDetailInput")
    class InputSerializer(ChangeInput):
        role = serializers.ChoiceField(choices=ForumMembership.Role.choices, required=False)
        categories = category_slugs(required=False)
        available = serializers.BooleanField(required=False)
        work_start = serializers.TimeField(required=False, allow_null=True)
        work_end = serializers.TimeField(required=False, allow_null=True)
        max_open_tickets = serializers.IntegerField(required=False, min_value=1, max_value=100)

    @extend_schema(
        operation_id="forums_members_update",
        request=InputSerializer,
        responses={200: MemberOutputSerializer, **error_responses(400, 401, 403, 404)},
        tags=["forum"],
        description="Koordinator: peran dan keahlian anggota. Anggota sendiri: keahlian dan ketersediaannya.",
    )
    def patch(self, request: Request, forum_id: int, user_id: int) -> Response:
        forum = access_forum(request.user, forum_id)
        membership = access_membership(request.user, forum, user_id, manage=False)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        actor: User = request.user  # type: ignore[assignment]
        if "role" in values or "categories" in values:
            forum_services.membership_update(
                actor=actor, membership=membership, role=values.get("role"), categories=values.get("categories")
            )
        availability = {"available", "work_start", "work_end", "max_open_tickets"}
        if availability & set(values):
            forum_services.membership_set_availability(
                actor=actor,
                membership=membership,
                available=values.get("available", membership.available),
                work_start=values.get("work_start", membership.work_start),
                work_end=values.get("work_end", membership.work_end),
                max_open_tickets=values.get("max_open_tickets"),
            )
        return Response(member_payload(access_membership(request.user, forum, user_id, manage=False)))


class ForumMemberDeactivateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="forums_members_deactivate",
        request=None,
        responses={200: MemberOutputSerializer, **error_responses(401, 403, 404)},
        tags=["forum"],
        description="Nonaktifkan relawan (koordinator forum ini, admin; koordinator hanya oleh admin). Tiket "
        "terbukanya kembali ke antrean forum.",
    )
    def post(self, request: Request, forum_id: int, user_id: int) -> Response:
        forum = access_forum(request.user, forum_id, manage=True)
        membership = access_membership(request.user, forum, user_id)
        forum_services.membership_deactivate(actor=request.user, membership=membership)  # type: ignore[arg-type]
        return Response(member_payload(membership))


# --- Invitations -------------------------------------------------------------------------------------------


class InvitationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.ChoiceField(choices=ForumMembership.Role.choices)
    categories = serializers.ListField(child=serializers.CharField())
    created_by = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["open", "used", "revoked", "expired"])
    used_by = serializers.CharField(allow_null=True)


def invitation_payload(inv: Invitation) -> dict[str, Any]:
    state = invitation_state(inv)
    field = serializers.DateTimeField()
    return {
        "id": inv.pk,
        "role": inv.role,
        "categories": [c.slug for c in inv.categories.all()],
        "created_by": inv.created_by.username,
        "created_at": field.to_representation(inv.created_at),
        "expires_at": field.to_representation(inv.expires_at),
        "status": state,
        "used_by": inv.used_by.username if inv.used_by else None,
    }


class ForumInvitationsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="ForumInvitationsInput")
    class InputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=ForumMembership.Role.choices, default=ForumMembership.Role.VOLUNTEER)
        categories = category_slugs(required=False)
        email = serializers.EmailField(required=False, allow_blank=True, default="")

    @extend_schema_serializer(component_name="ForumInvitationsOutput")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="hanya ditampilkan sekali; yang disimpan hanya hash-nya")
        url = serializers.URLField()
        id = serializers.IntegerField()
        expires_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="forums_invitations",
        responses={200: InvitationOutputSerializer(many=True), **error_responses(401, 403, 404)},
        tags=["forum"],
    )
    def get(self, request: Request, forum_id: int) -> Response:
        forum = access_forum(request.user, forum_id, manage=True)
        return Response([invitation_payload(i) for i in forum_invitations(forum=forum)])

    @extend_schema(
        operation_id="forums_invitations_create",
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(400, 401, 403, 404)},
        tags=["forum"],
        description="Undangan sekali pakai untuk menjadi relawan/koordinator forum ini, berlaku 7 hari.",
    )
    def post(self, request: Request, forum_id: int) -> Response:
        forum = access_forum(request.user, forum_id, manage=True)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = forum_services.invitation_create(
            actor=request.user,  # type: ignore[arg-type]
            forum=forum,
            role=data.validated_data["role"],
            categories=data.validated_data.get("categories", []),
            email=data.validated_data["email"],
        )
        body = {
            "token": new.token,
            "url": new.url,
            "id": new.invitation.pk,
            "expires_at": serializers.DateTimeField().to_representation(new.invitation.expires_at),
        }
        return Response(body, status=status.HTTP_201_CREATED)


class InvitationRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="forums_invitations_revoke",
        request=None,
        responses={200: InvitationOutputSerializer, **error_responses(401, 403, 404)},
        tags=["forum"],
    )
    def post(self, request: Request, forum_id: int, invitation_id: int) -> Response:
        forum = access_forum(request.user, forum_id, manage=True)
        invitation = invitation_get(forum=forum, invitation_id=invitation_id)
        if invitation is None:
            raise exceptions.NotFound()
        forum_services.invitation_revoke(actor=request.user, invitation=invitation)  # type: ignore[arg-type]
        return Response(invitation_payload(invitation))
