"""The forum API for moderators, editors and volunteers: the review queue, hiding, editing with history,
locking, moving, closing duplicates, and proposals to make a private ticket public."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.accounts.presenters import current_user, person
from helpdesk.core.api import ChangeInput
from helpdesk.core.ids import IdField, query_id, to_id
from helpdesk.tickets import access as ticket_access
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.models import Channel, Ticket
from helpdesk.tickets.presenters import message_dict

from . import access, selectors, services
from .api import CommentOut, QuestionDetailOut, public_question, question_detail
from .models import PublicProposal, Revision
from .presenters import comment_dict, question_summary


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


# --- the review queue ---------------------------------------------------------------------------------------------


class ModerationQueueApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OpenApiParameter("forum", int)], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        forum_ids = access.moderated_forum_ids(request.user)
        if forum_ids is not None and not forum_ids:
            raise exceptions.PermissionDenied(_("Antrean moderasi hanya untuk koordinator forum."))
        items = selectors.moderation_queue(request.user, forum_id=query_id(request.query_params, "forum"))
        return Response({"results": [
            {
                "target": item.target,
                "question": question_summary(item.ticket, request) | {"hidden": not item.ticket.is_public},
                "message": item.message.pk if item.message else None,
                "comment": item.comment.pk if item.comment else None,
                "author": person(item.author),
                "text": item.text,
                "forum": item.first.forum_id,
                "flags": [{"id": f.pk, "reason": f.reason, "reason_display": f.get_reason_display(), "note": f.note,
                           "flagger": person(f.flagger), "created_at": f.created_at} for f in item.flags],
            }
            for item in items
        ]})


class ReviewInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("uphold", "uphold"), ("dismiss", "dismiss")])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class FlagReviewApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReviewInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, flag_id: int) -> Response:
        flag = access.access_flag(request.user, flag_id)
        serializer = ReviewInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        decided = services.flag_review(reviewer=current_user(request), flag=flag, **serializer.validated_data)
        return Response({"decided": decided, "decision": serializer.validated_data["decision"], "target": flag.target})


# --- hide, unhide ---------------------------------------------------------------------------------------------------


def _target(request: Request, kind: str, pk: int) -> dict[str, Any]:
    if kind == "message":
        message, ticket = access.access_answer(request.user, pk)
        return {"ticket": ticket, "message": message}
    if kind == "comment":
        comment, ticket = access.access_comment(request.user, pk)
        return {"ticket": ticket, "comment": comment}
    return {"ticket": access.access_question(request.user, pk)}


class _HideApi(APIView):
    permission_classes = [IsAuthenticated]
    kind = "question"
    hide = True

    @extend_schema(request=ReasonInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        target = _target(request, self.kind, pk)
        serializer = ReasonInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        fn = services.post_hide if self.hide else services.post_unhide
        fn(actor=current_user(request), reason=serializer.validated_data["reason"], **target)
        return Response({"hidden": self.hide})


class MessageHideApi(_HideApi):
    kind = "message"


class MessageUnhideApi(_HideApi):
    kind, hide = "message", False


class CommentHideApi(_HideApi):
    kind = "comment"


class CommentUnhideApi(_HideApi):
    kind, hide = "comment", False


class QuestionHideApi(_HideApi):
    kind = "question"


class QuestionUnhideApi(_HideApi):
    kind, hide = "question", False


# --- edits and history -----------------------------------------------------------------------------------------------


class BodyEditInput(ChangeInput):
    body = serializers.CharField(max_length=65536)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


def _revision(r: Revision) -> dict[str, Any]:
    return {"id": r.pk, "editor": person(r.editor), "title": r.title, "body": r.body, "reason": r.reason,
            "created_at": r.created_at}


class MessageEditApi(APIView):
    """A public answer: the forum's moderated edit (author, moderators, members with the privilege). A reply or
    internal note of a private ticket, by its author: the ticket's own edit (`tickets.services.message_edit`,
    within its window; 409 `edit_window_closed` after it), as on the web and in Telegram."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=BodyEditInput, responses=OpenApiTypes.OBJECT)
    def patch(self, request: Request, message_id: int) -> Response:
        own, private = ticket_access.access_message(request.user, message_id)
        if not private.is_public and own.author_id == current_user(request).pk:
            serializer = BodyEditInput(data=request.data)
            serializer.is_valid(raise_exception=True)
            edited = ticket_services.message_edit(message=own, editor=current_user(request),
                                                  body=serializer.validated_data["body"], channel=Channel.API)
            return Response(message_dict(edited))
        message, ticket = access.access_answer(request.user, message_id)
        serializer = BodyEditInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.post_edit(editor=current_user(request), ticket=ticket, message=message, **serializer.validated_data)
        return question_detail(request, ticket) if ticket.is_public else Response({"id": message.pk})


class CommentEditApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=BodyEditInput, responses=CommentOut)
    def patch(self, request: Request, comment_id: int) -> Response:
        comment, ticket = access.access_comment(request.user, comment_id)
        serializer = BodyEditInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.post_edit(editor=current_user(request), ticket=ticket, comment=comment, **serializer.validated_data)
        comment.refresh_from_db()
        return Response(comment_dict(comment))


class HistoryApi(APIView):
    """Earlier versions of a question (and, with ?message= or ?comment=, of one answer or comment)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OpenApiParameter("message", int), OpenApiParameter("comment", int)],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, ticket_id: int) -> Response:
        ticket = access.access_question(request.user, ticket_id)
        params = request.query_params
        message = comment = None
        author_id: int | None = ticket.reporter_id
        if params.get("message", "").isdigit():
            message, found = access.access_answer(request.user, to_id(params["message"]) or 0)
            if found.pk != ticket.pk:
                raise Http404
            author_id = message.author_id
        elif params.get("comment", "").isdigit():
            comment, found = access.access_comment(request.user, to_id(params["comment"]) or 0)
            if found.pk != ticket.pk:
                raise Http404
            author_id = comment.author_id
        if not access.can_see_history(request.user, ticket, author_id=author_id):
            raise exceptions.PermissionDenied(_("Riwayat suntingan hanya untuk moderator dan penulisnya."))
        return Response({"results": [_revision(r) for r in selectors.revisions(ticket, message=message, comment=comment)]})


# --- lock, move, duplicate -------------------------------------------------------------------------------------------


class LockInput(serializers.Serializer):
    locked = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class LockApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=LockInput, responses=QuestionDetailOut)
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = access.access_question(request.user, ticket_id)
        serializer = LockInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.question_lock(actor=current_user(request), ticket=ticket, **serializer.validated_data)
        return question_detail(request, access.access_question(request.user, ticket_id))


class MoveInput(serializers.Serializer):
    category = serializers.SlugField(max_length=50)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class MoveApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=MoveInput, responses=QuestionDetailOut)
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = access.access_question(request.user, ticket_id)
        serializer = MoveInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.question_move(actor=current_user(request), ticket=ticket, **serializer.validated_data)
        return question_detail(request, access.access_question(request.user, ticket_id))


class DuplicateInput(serializers.Serializer):
    of = IdField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class QuestionDuplicateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=DuplicateInput, responses=QuestionDetailOut)
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = public_question(request.user, ticket_id)
        serializer = DuplicateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            of = access.access_question(request.user, serializer.validated_data["of"])
        except Http404:
            raise exceptions.ValidationError({"of": [_("Pertanyaan tujuan tidak ditemukan.")]}) from None
        services.question_close_duplicate(actor=current_user(request), ticket=ticket, of=of,
                                          reason=serializer.validated_data["reason"])
        return question_detail(request, access.access_question(request.user, ticket_id))


# --- proposals to make a private ticket public -----------------------------------------------------------------------


class ProposalInput(serializers.Serializer):
    ticket = IdField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


def _proposal(p: PublicProposal) -> dict[str, Any]:
    return {"id": p.pk, "ticket": p.ticket_id, "state": p.state, "note": p.note,
            "proposed_by": person(p.proposed_by), "created_at": p.created_at, "decided_at": p.decided_at}


class ProposalCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ProposalInput, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        serializer = ProposalInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket: Ticket = access.access_question(request.user, serializer.validated_data["ticket"])
        proposal = services.proposal_create(actor=current_user(request), ticket=ticket, note=serializer.validated_data["note"])
        return Response(_proposal(proposal), status=status.HTTP_201_CREATED)


class _ProposalDecisionApi(APIView):
    permission_classes = [IsAuthenticated]
    accept = True

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, proposal_id: int) -> Response:
        proposal = access.access_proposal(request.user, proposal_id)
        decided = services.proposal_decide(actor=current_user(request), proposal=proposal, accept=self.accept)
        return Response(_proposal(decided))


class ProposalAcceptApi(_ProposalDecisionApi):
    accept = True


class ProposalDeclineApi(_ProposalDecisionApi):
    accept = False
