"""HTTP adapters for linking: the API (`POST/DELETE /api/v1/me/telegram-link/`,
`POST /api/v1/forums/{id}/telegram-code/`) and the profile and forum page forms."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.accounts.access import access_forum
from helpdesk.accounts.models import User
from helpdesk.core.api import error_responses

from . import linking
from .ticket_models import ForumTelegramSettings


class ForumSettingsForm(forms.ModelForm):
    class Meta:
        model = ForumTelegramSettings
        fields = ["every_message_is_reply", "post_files", "post_escalations", "sla_warnings", "quiet_from",
                  "quiet_until"]
        widgets = {"quiet_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "quiet_until": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}


class TelegramLinkApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_telegram_link",
        request=None,
        responses={201: inline_serializer("TelegramLinkOutput", {
            "url": serializers.URLField(), "token": serializers.CharField(), "expires_at": serializers.DateTimeField(),
        }), **error_responses(401, 409)},
        tags=["accounts"],
        description="Tautan sekali pakai (berlaku 30 menit) untuk menautkan akun Telegram: buka `url`, tekan Start. "
                    "409 `telegram_disabled` bila Telegram belum diaktifkan di server ini, `telegram_unavailable` "
                    "bila bot sedang tidak bisa dihubungi (nama bot belum diketahui).",
    )
    def post(self, request: Request) -> Response:
        code = linking.account_link_start(user=request.user)  # type: ignore[arg-type]
        return Response({"url": code.url, "token": code.code, "expires_at": code.expires_at},
                        status=status.HTTP_201_CREATED)

    @extend_schema(operation_id="me_telegram_unlink", request=None, responses={204: None, **error_responses(401)},
                   tags=["accounts"], description="Lepas tautan akun Telegram.")
    def delete(self, request: Request) -> Response:
        linking.unlink_account(user=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class ForumTelegramCodeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="forums_telegram_code",
        request=None,
        responses={201: inline_serializer("ForumTelegramCodeOutput", {
            "code": serializers.CharField(), "command": serializers.CharField(),
            "expires_at": serializers.DateTimeField(),
        }), **error_responses(401, 403, 404, 409)},
        tags=["forum"],
        description="Koordinator: kode sekali pakai (24 jam). Kirim `/hubungkan <kode>` di grup Telegram forum. "
                    "409 `telegram_disabled` bila Telegram belum diaktifkan di server ini.",
    )
    def post(self, request: Request, forum_id: int) -> Response:
        forum = access_forum(request.user, forum_id, manage=True)
        code = linking.forum_code_create(actor=request.user, forum=forum)  # type: ignore[arg-type]
        return Response({"code": code.code, "command": f"/hubungkan {code.code}", "expires_at": code.expires_at},
                        status=status.HTTP_201_CREATED)


@login_required
@require_POST
def profile_link(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if request.POST.get("action") == "unlink":
        linking.unlink_account(user=user)
        messages.success(request, _("Tautan Telegram dilepas."))
        return redirect("/profil/#telegram")
    try:
        code = linking.account_link_start(user=user)
    except linking.TelegramOff as exc:
        messages.error(request, exc.message)
        return redirect("/profil/#telegram")
    return render(request, "bots/link_started.html", {"code": code})


@login_required
@require_POST
def forum_code(request: HttpRequest, forum_id: int) -> HttpResponse:
    forum = access_forum(request.user, forum_id, manage=True)
    user = request.user
    assert isinstance(user, User)
    try:
        code = linking.forum_code_create(actor=user, forum=forum)
    except linking.TelegramOff as exc:
        messages.error(request, exc.message)
        return redirect(f"/forsid/{forum.pk}/#telegram")
    return render(request, "bots/forum_code.html", {"code": code, "forum": forum})


@login_required
def forum_settings(request: HttpRequest, forum_id: int) -> HttpResponse:
    """The forum's Telegram settings: what reaches the operator, files, escalations, SLA warnings, quiet hours."""
    forum = access_forum(request.user, forum_id, manage=True)
    user = request.user
    assert isinstance(user, User)
    current = ForumTelegramSettings.objects.filter(forum=forum).first() or ForumTelegramSettings(forum=forum)
    form = ForumSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        linking.forum_settings_update(actor=user, forum=forum, data={
            name: form.cleaned_data[name] for name in ForumSettingsForm.Meta.fields})
        messages.success(request, _("Pengaturan Telegram disimpan."))
        return redirect(f"/forsid/{forum.pk}/#telegram")
    return render(request, "bots/forum_settings.html", {"form": form, "forum": forum})
