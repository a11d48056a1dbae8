from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.core.ids import IdField, query_id
from helpdesk.core.presenters import iso

from . import selectors, services
from .models import Notification


def notification_dict(n: Notification) -> dict[str, Any]:
    """NotificationOut."""
    return {"id": n.pk, "type": n.type, "ticket": n.ticket_id, "text": n.text, "url": n.url,
            "read": n.read_at is not None, "at": iso(n.created_at)}


class NotificationOut(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    ticket = serializers.IntegerField(allow_null=True)
    text = serializers.CharField()
    url = serializers.CharField()
    read = serializers.BooleanField()
    at = serializers.DateTimeField()


class NotificationListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("before", int, description="the `next` of the previous page"),
            OpenApiParameter("cursor", int, description="the same as `before`, the name the other lists use"),
            OpenApiParameter("unread", bool),
        ],
        responses=inline_serializer("NotificationList", {
            "results": NotificationOut(many=True),
            "unread": serializers.IntegerField(help_text="belum dibaca, dihitung sampai 100 (100 = 100 atau lebih)"),
            "next": serializers.IntegerField(allow_null=True)}),
    )
    def get(self, request: Request) -> Response:
        # `cursor` too: a client that pages every list alike (`?cursor=<next>`) otherwise got page one forever.
        before = query_id(request.query_params, "before") or query_id(request.query_params, "cursor")
        rows, next_before = selectors.notification_page(
            user=request.user, before=before,
            unread_only=request.query_params.get("unread") in ("1", "true"),
        )
        return Response({"results": [notification_dict(n) for n in rows], "next": next_before,
                         "unread": selectors.unread_count(request.user)})


class NotificationReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="NotificationReadInput")
    class InputSerializer(serializers.Serializer):
        ids = serializers.ListField(child=IdField(), required=False, max_length=500)
        all = serializers.BooleanField(required=False, default=False)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if not attrs.get("all") and not attrs.get("ids"):
                raise serializers.ValidationError({"ids": ["Isi ids, atau all: true."]})
            return attrs

    @extend_schema(request=InputSerializer, responses=inline_serializer("NotificationRead", {
        "updated": serializers.IntegerField(),
        "unread": serializers.IntegerField(help_text="belum dibaca, dihitung sampai 100 (100 = 100 atau lebih)")}))
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        updated = services.mark_read(user=request.user, ids=data.get("ids"), everything=data.get("all", False))  # type: ignore[arg-type]
        return Response({"updated": updated, "unread": selectors.unread_count(request.user)})
