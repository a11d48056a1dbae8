"""API of people: /me/, operator sign-up and verification, API tokens, invitations being accepted.

One class per operation with its own InputSerializer/OutputSerializer. Classes parse, call a service or a
selector, and format; errors become the contract's body in helpdesk.core.api.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.categories.models import Category
from helpdesk.core.api import ChangeInput, error_responses
from helpdesk.core.errors import RateLimited

from . import forum_services, services
from .access import access_operator, forums_of, is_admin, roles_of
from .authentication import TokenAuthentication
from .models import ForumMembership, User
from .preferences import effective_prefs, user_timezone
from .selectors import operator_pending_list, user_memberships
from .signin import SignInError, check_credentials


def category_slugs(**kwargs: Any) -> Any:
    """A list of category slugs (a ManyRelatedField at run time)."""
    return serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.filter(is_active=True), many=True, **kwargs
    )


# --- /me/ -------------------------------------------------------------------------------------------------


class MeForumSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=ForumMembership.Role.choices)
    categories = serializers.ListField(child=serializers.CharField())
    available = serializers.BooleanField()


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="MeOutput")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        name = serializers.CharField()
        email = serializers.EmailField()
        roles = serializers.ListField(child=serializers.ChoiceField(choices=["operator", "volunteer", "coordinator", "admin", "planner"]))
        desa_code = serializers.CharField(allow_null=True)
        operator_status = serializers.ChoiceField(choices=User.OperatorStatus.choices)
        forums = MeForumSerializer(many=True)
        language = serializers.CharField()
        timezone = serializers.CharField()
        notification_prefs = serializers.DictField(child=serializers.DictField(child=serializers.BooleanField()))

    @extend_schema_serializer(component_name="MeInput")
    class InputSerializer(ChangeInput):
        name = serializers.CharField(required=False, allow_blank=True, max_length=150)
        email = serializers.CharField(required=False, allow_blank=True, max_length=254)
        phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
        language = serializers.CharField(required=False)
        timezone = serializers.CharField(required=False, allow_blank=True)
        notification_prefs = serializers.DictField(required=False)

    @staticmethod
    def payload(user: User) -> dict[str, Any]:
        memberships = user_memberships(user=user)
        return {
            "id": user.pk,
            "username": user.username,
            "name": user.display_name,
            "email": user.email,
            "roles": roles_of(user),
            "desa_code": user.desa_id,
            "operator_status": user.operator_status,
            "forums": [
                {
                    "id": m.forum_id,
                    "name": m.forum.name,
                    "role": m.role,
                    "categories": [c.slug for c in m.categories.all()],
                    "available": m.available,
                }
                for m in memberships
            ],
            "language": user.language,
            "timezone": user_timezone(user),
            "notification_prefs": effective_prefs(user),
        }

    @extend_schema(operation_id="me", responses={200: OutputSerializer, **error_responses(401)}, tags=["akun"])
    def get(self, request: Request) -> Response:
        return Response(self.payload(request.user))  # type: ignore[arg-type]

    @extend_schema(
        operation_id="me_update",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401)},
        tags=["akun"],
        description="Ubah profil sendiri: nama, e-mail, HP, bahasa (`id`/`en`), zona waktu, preferensi notifikasi "
        "`{event: {email|telegram|digest: bool}}`.",
    )
    def patch(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.profile_update(user=request.user, **data.validated_data)  # type: ignore[arg-type]
        return Response(self.payload(user))


# --- Operator sign-up and verification --------------------------------------------------------------------


class RegisterApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="RegisterInput")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150, trim_whitespace=True)
        password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})
        email = serializers.CharField(max_length=254)
        desa_code = serializers.CharField(max_length=20, help_text="Kode Kemendagri desa/kelurahan, mis. 52.03.01.2001")
        name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
        phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")

    @extend_schema_serializer(component_name="RegisterOutput")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        status = serializers.CharField()

    @extend_schema(
        operation_id="accounts_register",
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(400)},
        tags=["akun"],
        description="Pendaftaran operator desa. Akun menunggu verifikasi koordinator forum yang mencakup desanya.",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.operator_register(**data.validated_data)
        return Response({"id": user.pk, "status": user.operator_status}, status=status.HTTP_201_CREATED)


class OperatorPendingListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="OperatorPendingListOutput")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        name = serializers.CharField()
        email = serializers.CharField()
        phone = serializers.CharField()
        desa_code = serializers.CharField()
        desa_name = serializers.CharField()
        kecamatan = serializers.CharField()
        kabupaten = serializers.CharField()
        registered_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="accounts_pending",
        responses={200: OutputSerializer(many=True), **error_responses(401, 403)},
        tags=["akun"],
        description="Operator yang menunggu verifikasi dan boleh diverifikasi pemanggil (koordinator, admin).",
    )
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        if not is_admin(user) and not forums_of(user, ForumMembership.Role.COORDINATOR):
            raise exceptions.PermissionDenied(_("Hanya koordinator forum dan admin yang memverifikasi operator."))
        rows = []
        for op in operator_pending_list(user=user):
            desa = op.desa
            kecamatan = desa.parent if desa else None
            kabupaten = kecamatan.parent if kecamatan else None
            rows.append(
                {
                    "id": op.pk,
                    "username": op.username,
                    "name": op.display_name,
                    "email": op.email,
                    "phone": op.phone,
                    "desa_code": op.desa_id,
                    "desa_name": desa.name if desa else "",
                    "kecamatan": kecamatan.name if kecamatan else "",
                    "kabupaten": kabupaten.name if kabupaten else "",
                    "registered_at": op.date_joined,
                }
            )
        return Response(self.OutputSerializer(rows, many=True).data)


class _OperatorDecisionApi(APIView):
    permission_classes = [IsAuthenticated]
    decision = ""

    @extend_schema_serializer(component_name="OperatorDecisionInput")
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    @extend_schema_serializer(component_name="OperatorDecisionOutput")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        status = serializers.ChoiceField(choices=User.OperatorStatus.choices)
        review = serializers.IntegerField()

    def post(self, request: Request, user_id: int) -> Response:
        operator = access_operator(request.user, user_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.operator_review(
            actor=request.user,  # type: ignore[arg-type]
            operator=operator,
            decision=self.decision,
            note=data.validated_data["note"],
        )
        return Response({"id": operator.pk, "status": operator.operator_status, "review": review.pk})


def _decision_schema(operation_id: str, description: str) -> Any:
    return extend_schema(
        operation_id=operation_id,
        request=_OperatorDecisionApi.InputSerializer,
        responses={200: _OperatorDecisionApi.OutputSerializer, **error_responses(401, 403, 404, 409)},
        tags=["akun"],
        description=description,
    )


class OperatorVerifyApi(_OperatorDecisionApi):
    decision = User.OperatorStatus.VERIFIED

    @_decision_schema("accounts_verify", "Aktifkan operator yang menunggu (atau yang ditolak/dinonaktifkan).")
    def post(self, request: Request, user_id: int) -> Response:
        return super().post(request, user_id)


class OperatorRejectApi(_OperatorDecisionApi):
    decision = User.OperatorStatus.REJECTED

    @_decision_schema("accounts_reject", "Tolak pendaftaran operator; `note` dikirim kepadanya sebagai alasan.")
    def post(self, request: Request, user_id: int) -> Response:
        return super().post(request, user_id)


class OperatorDeactivateApi(_OperatorDecisionApi):
    decision = User.OperatorStatus.DEACTIVATED

    @_decision_schema("accounts_deactivate", "Nonaktifkan peran operator (akun tetap bisa masuk).")
    def post(self, request: Request, user_id: int) -> Response:
        return super().post(request, user_id)


# --- Tokens and signing out --------------------------------------------------------------------------------


class TokenApi(APIView):
    # Token auth only: the POST needs no session (and so no CSRF token), and the DELETE names its token.
    authentication_classes = [TokenAuthentication]

    @extend_schema_serializer(component_name="TokenInput")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema_serializer(component_name="TokenOutput")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(
        operation_id="auth_token_create",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400), 429: OpenApiResponse(description="Terlalu banyak gagal")},
        tags=["auth"],
        auth=[],
        description="Tukar nama pengguna dan kata sandi dengan token (`Authorization: Token <key>`). Percobaan yang "
        "gagal dibatasi: 5 per akun dan 50 per alamat IP per 15 menit (429 dengan `Retry-After`).",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = check_credentials(request._request, data.validated_data["username"], data.validated_data["password"])
        except SignInError as exc:
            if exc.retry_after is not None:
                raise RateLimited(exc.message, retry_after=exc.retry_after, names_wait=True) from None
            raise exceptions.ValidationError({"non_field_errors": [exc.message]}) from None
        return Response({"token": services.api_token_issue(user=user)})

    @extend_schema(
        operation_id="auth_token_revoke",
        request=None,
        responses={204: None, **error_responses(401)},
        tags=["auth"],
        description="Cabut token pemanggil. Semua klien API akun ini harus masuk lagi.",
    )
    def delete(self, request: Request) -> Response:
        services.api_token_revoke(user=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignOutEverywhereApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_sign_out_everywhere",
        request=None,
        responses={204: None, **error_responses(401)},
        tags=["auth"],
        description="Keluar dari semua perangkat: semua sesi web dan token API akun ini berhenti berlaku.",
    )
    def post(self, request: Request) -> Response:
        services.sign_out_everywhere(user=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class EraseMeApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        password = serializers.CharField()

    @extend_schema(
        operation_id="me_erase",
        request=InputSerializer,
        responses={204: None, **error_responses(400, 401)},
        tags=["auth"],
        description="Hapus akun saya (UU PDP): akun ditutup dan data pribadi dikosongkan; tiket tetap ada, "
        "pelapornya tampil sebagai \"Operator desa X\".",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.account_erase(user=request.user, password=data.validated_data["password"])  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Invitations, from the invitee's side ------------------------------------------------------------------


class AcceptInviteApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="AcceptInviteInput")
    class InputSerializer(serializers.Serializer):
        token = serializers.CharField(max_length=200)
        username = serializers.CharField(max_length=150, required=False, default="")
        password = serializers.CharField(max_length=256, required=False, default="", trim_whitespace=False)
        email = serializers.CharField(max_length=254, required=False, default="")
        name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
        categories = category_slugs(required=False)
        available = serializers.BooleanField(required=False, default=True)
        work_start = serializers.TimeField(required=False, allow_null=True, default=None)
        work_end = serializers.TimeField(required=False, allow_null=True, default=None)

    @extend_schema_serializer(component_name="AcceptInviteOutput")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(help_text="id akun")
        username = serializers.CharField()
        forum = serializers.IntegerField()
        role = serializers.ChoiceField(choices=ForumMembership.Role.choices)

    @extend_schema(
        operation_id="accounts_accept_invite",
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(400)},
        tags=["forum"],
        description="Pakai undangan: buat akun baru (`username`, `password`, `email`), atau, bila sudah masuk dan "
        "tanpa `username`, bergabung sebagai akun sendiri. Undangan hanya sekali pakai dan berlaku 7 hari.",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        as_self = request.user.is_authenticated and not values["username"]
        membership = forum_services.invitation_accept(
            token=values.pop("token"),
            user=request.user if as_self else None,  # type: ignore[arg-type]
            **values,
        )
        member = membership.user
        return Response(
            {"id": member.pk, "username": member.username, "forum": membership.forum_id, "role": membership.role},
            status=status.HTTP_201_CREATED,
        )

