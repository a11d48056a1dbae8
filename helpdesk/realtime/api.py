"""`POST /api/v1/realtime/ticket/`: a single-use key for clients that can't send the session cookie."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.core.errors import RateLimited
from helpdesk.core.ratelimit import hit, seconds_left

from .auth import issue_key

KEYS_PER_HOUR = 120


class ConnectionKeyApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={201: inline_serializer("RealtimeTicket", {
            "ticket": serializers.CharField(), "expires_in": serializers.IntegerField(), "url": serializers.CharField(),
        })},
        summary="Kunci sekali pakai untuk /ws/",
    )
    def post(self, request: Request) -> Response:
        if not hit("realtime_key", str(request.user.pk), limit=KEYS_PER_HOUR, window_seconds=3600):
            # With the wait, so the 429 carries Retry-After as the contract's other refusals do.
            raise RateLimited(_("Terlalu banyak permintaan kunci. Coba lagi nanti."), retry_after=seconds_left(3600))
        key, ttl = issue_key(request.user)
        return Response({"ticket": key, "expires_in": ttl, "url": f"/ws/?ticket={key}"}, status=201)
