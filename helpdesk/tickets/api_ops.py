"""API for the volunteers' tools and SLA settings: merge, watch, bulk, canned replies, CSAT, SLA policy, holidays."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.accounts.access import can_manage_forum
from helpdesk.accounts.models import Forum
from helpdesk.accounts.presenters import current_user
from helpdesk.core.ids import IdField, query_id, to_id

from . import access, canned, selectors, services, sla_config
from .api import TicketDetailOut, detail_response
from .models import Channel, Holiday, SlaPolicy


class MergeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="TicketMergeInput")
    class InputSerializer(serializers.Serializer):
        into = IdField()

    @extend_schema(request=InputSerializer, responses={200: TicketDetailOut})
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = access.access_ticket(request.user, ticket_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            target = access.access_ticket(request.user, serializer.validated_data["into"])
        except Http404:
            raise exceptions.ValidationError({"into": [_("Tiket tujuan tidak ditemukan.")]}) from None
        merged_into = services.ticket_merge(ticket=ticket, actor=current_user(request), into=target, channel=Channel.API)
        return detail_response(request, merged_into)


class WatchApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=inline_serializer("Watch", {"watching": serializers.BooleanField()}))
    def post(self, request: Request, ticket_id: int) -> Response:
        services.ticket_watch(ticket=access.access_ticket(request.user, ticket_id), user=current_user(request), watch=True)
        return Response({"watching": True})

    # 200 with a body, as the code answers; left to itself the schema generator documents a DELETE as 204.
    @extend_schema(request=None, responses={200: inline_serializer("Unwatch", {"watching": serializers.BooleanField()})})
    def delete(self, request: Request, ticket_id: int) -> Response:
        services.ticket_watch(ticket=access.access_ticket(request.user, ticket_id), user=current_user(request), watch=False)
        return Response({"watching": False})


class BulkApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="TicketBulkInput")
    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=services.BULK_ACTIONS)
        ids = serializers.ListField(child=IdField(), min_length=1, max_length=200)

    @extend_schema(request=InputSerializer, responses=inline_serializer("BulkResult", {"results": serializers.DictField()}))
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        results = services.tickets_bulk(actor=current_user(request), ids=data["ids"], action=data["action"], channel=Channel.API)
        return Response({"results": {str(k): v for k, v in results.items()}})


class CannedReplyOut(serializers.Serializer):
    id = serializers.IntegerField()
    forum = serializers.IntegerField(source="forum_id", allow_null=True)
    title = serializers.CharField()
    body = serializers.CharField()
    usage_count = serializers.IntegerField()


class CannedReplyListOut(serializers.Serializer):
    results = CannedReplyOut(many=True)
    placeholders = serializers.ListField(child=serializers.CharField())


class CannedReplyApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="CannedReplyInput")
    class InputSerializer(serializers.Serializer):
        forum = IdField(required=False, allow_null=True)
        title = serializers.CharField(max_length=120)
        body = serializers.CharField(max_length=20000)

    @extend_schema(responses={200: CannedReplyListOut})
    def get(self, request: Request) -> Response:
        rows = canned.canned_for(current_user(request), query_id(request.query_params, "forum"))
        return Response(CannedReplyListOut({"results": rows, "placeholders": sorted(canned.PLACEHOLDERS)}).data)

    @extend_schema(request=InputSerializer, responses={201: CannedReplyOut})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        forum = get_object_or_404(Forum, pk=data["forum"]) if data.get("forum") else None
        reply = canned.canned_create(actor=current_user(request), forum=forum, title=data["title"], body=data["body"])
        return Response(CannedReplyOut(reply).data, status=status.HTTP_201_CREATED)


class CsatApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: dict})
    def get(self, request: Request, forum_id: int) -> Response:
        forum = get_object_or_404(Forum, pk=forum_id)
        if not can_manage_forum(request.user, forum):
            raise exceptions.PermissionDenied()
        data = selectors.csat_for_forum(forum.pk)
        data["recent_comments"] = [
            {"ticket": r.ticket.number, "score": r.score, "comment": r.comment,
             "volunteer": r.volunteer.username if r.volunteer else None}
            for r in data["recent_comments"]
        ]
        return Response({"forum": forum.pk, **data})


class SlaPolicyOut(serializers.Serializer):
    forum = serializers.IntegerField(source="forum_id", allow_null=True)
    targets = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="per priority: [working minutes to first response, to resolution]",
    )
    working_days = serializers.ListField(child=serializers.IntegerField(), help_text="0 = Monday")
    work_start = serializers.SerializerMethodField()
    work_end = serializers.SerializerMethodField()

    def get_work_start(self, policy: SlaPolicy) -> str:
        return str(policy.work_start)[:5]

    def get_work_end(self, policy: SlaPolicy) -> str:
        return str(policy.work_end)[:5]


class HolidayOut(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    name = serializers.CharField()
    region_prefix = serializers.CharField()


class SlaPolicyApi(APIView):
    """`/sla/policies/default/` or `/sla/policies/<forum id>/`: targets in working minutes, working hours."""

    permission_classes = [IsAuthenticated]

    def _forum(self, key: str) -> Forum | None:
        return None if key == "default" else get_object_or_404(Forum, pk=to_id(key) or -1)

    @extend_schema(responses={200: SlaPolicyOut})
    def get(self, request: Request, key: str) -> Response:
        forum = self._forum(key)
        from .sla import policy_for

        return Response(SlaPolicyOut(policy_for(forum.pk if forum else None)).data)

    @extend_schema(request=inline_serializer("SlaPolicyInput", {
        "targets": serializers.DictField(required=False), "working_days": serializers.ListField(required=False),
        "work_start": serializers.CharField(required=False), "work_end": serializers.CharField(required=False)}),
        responses={200: SlaPolicyOut})
    def put(self, request: Request, key: str) -> Response:
        if not isinstance(request.data, dict):
            raise exceptions.ParseError()
        policy = sla_config.policy_update(actor=current_user(request), forum=self._forum(key), data=dict(request.data))
        return Response(SlaPolicyOut(policy).data)


class HolidayApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: inline_serializer("HolidayList", {"results": HolidayOut(many=True)})})
    def get(self, request: Request) -> Response:
        rows = Holiday.objects.order_by("date")[:1000]
        return Response({"results": HolidayOut(rows, many=True).data})

    @extend_schema(request=inline_serializer("HolidayInput", {
        "date": serializers.CharField(), "name": serializers.CharField(),
        "region_prefix": serializers.CharField(required=False)}), responses={201: HolidayOut, 200: HolidayOut})
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        holiday, added = sla_config.holiday_add(actor=current_user(request), date=data.get("date", ""),
                                                name=data.get("name", ""), region_prefix=data.get("region_prefix", ""))
        # 201 for a new day; the same day and region again renames it: 200, as an update.
        return Response(HolidayOut(holiday).data, status=status.HTTP_201_CREATED if added else status.HTTP_200_OK)
