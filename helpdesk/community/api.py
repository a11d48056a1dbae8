"""The forum API for everyone and for members: questions, answers, votes, accepting, comments, flags, profiles,
leaderboards. Parse, call a service or selector, format; the same doors as the web pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.accounts.access import AnyUser
from helpdesk.accounts.models import Forum
from helpdesk.accounts.presenters import current_user, person
from helpdesk.core.api import ChangeInput
from helpdesk.core.ids import IdField, query_id, to_id
from helpdesk.core.presenters import iso
from helpdesk.tickets.api import PersonOut, PostOut
from helpdesk.tickets.models import Channel, Hosting, Message, Ticket

from . import access, reputation, selectors, services
from .models import Flag, FlagReason
from .presenters import answer_dict, comment_dict, question_actions, question_summary, question_summary_min


def question_detail(request: Request, ticket: Ticket, *, status_code: int = 200) -> Response:
    page = selectors.question_page(request.user, ticket, per_page=None)
    body = question_summary(ticket, request)
    body.update(
        description=ticket.description,
        description_html=ticket.description_html,
        opensid_version=ticket.opensid_version,
        answers=[answer_dict(a) for a in page.answers],
        comments=[comment_dict(c) for c in page.comments],
        canonical=question_summary_min(page.canonical),
        actions=question_actions(request.user, ticket),
    )
    return Response(body, status=status_code)


def public_question(user: AnyUser, ticket_id: int) -> Ticket:
    """The door for forum endpoints: a ticket the user may see that is a public question (404 otherwise)."""
    ticket = access.access_question(user, ticket_id)
    if not ticket.is_public:
        raise Http404
    return ticket


# --- output schemas: presenters.py builds these bodies by hand (lists are the hot path), and
# tests/community/test_schema_responses.py keeps each serializer equal to what its endpoint returns -----------------


class QuestionOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField()
    solved = serializers.BooleanField()
    accepted_message = serializers.IntegerField(allow_null=True)
    category = serializers.CharField()
    category_display = serializers.CharField()
    region_code = serializers.CharField()
    desa_name = serializers.CharField()
    asker = PersonOut()
    reply_count = serializers.IntegerField()
    is_locked = serializers.BooleanField()
    kb_candidate = serializers.BooleanField()
    duplicate_of = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    url = serializers.CharField()
    ticket_url = serializers.CharField()


class CommentOut(serializers.Serializer):
    id = serializers.IntegerField()
    message = serializers.IntegerField(allow_null=True, help_text="the answer it is under; null: the question")
    author = PersonOut(allow_null=True)
    body = serializers.CharField()
    body_html = serializers.CharField()
    hidden = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)


class AnswerOut(PostOut):
    by_volunteer = serializers.BooleanField()
    accepted = serializers.BooleanField()
    score = serializers.IntegerField()
    upvotes = serializers.IntegerField()
    downvotes = serializers.IntegerField()
    my_vote = serializers.IntegerField(help_text="the caller's vote: 1, -1 or 0")
    hidden = serializers.BooleanField()
    edited_at = serializers.DateTimeField(allow_null=True)
    comments = CommentOut(many=True)


class CanonicalOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField(allow_null=True, help_text="null when the canonical question is not public")


class QuestionDetailOut(QuestionOut):
    description = serializers.CharField()
    description_html = serializers.CharField()
    opensid_version = serializers.CharField()
    answers = AnswerOut(many=True)
    comments = CommentOut(many=True)
    canonical = CanonicalOut(allow_null=True)
    actions = serializers.ListField(child=serializers.CharField())


class PostLinkOut(serializers.Serializer):
    id = serializers.IntegerField()
    question = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField()
    created_at = serializers.DateTimeField()


class QuestionLinkOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField()


class LevelOut(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()


class ProfileOut(serializers.Serializer):
    user = PersonOut()
    desa = serializers.CharField(allow_null=True)
    reputation = serializers.IntegerField()
    level = LevelOut()
    accepted_answers = serializers.IntegerField()
    points_last_30_days = serializers.IntegerField()
    forums = serializers.ListField(child=serializers.CharField())
    answers = PostLinkOut(many=True)
    accepted = PostLinkOut(many=True)
    questions = QuestionLinkOut(many=True)


class LeaderOut(serializers.Serializer):
    rank = serializers.IntegerField()
    user = PersonOut()
    points = serializers.IntegerField()


class LeaderboardOut(serializers.Serializer):
    forum = serializers.IntegerField(allow_null=True)
    region = serializers.CharField()
    period = serializers.ChoiceField(choices=["month", "all"])
    results = LeaderOut(many=True)


class QuestionAskedOut(QuestionOut):
    masked = serializers.ListField(child=serializers.CharField(), help_text="kinds of personal data masked (NIK, ...)")


class QuestionListOut(serializers.Serializer):
    results = QuestionOut(many=True)
    next = serializers.CharField(allow_null=True)


class ScoreOut(serializers.Serializer):
    message = serializers.IntegerField()
    score = serializers.IntegerField()
    upvotes = serializers.IntegerField()
    downvotes = serializers.IntegerField()
    my_vote = serializers.IntegerField()


class FlagOut(serializers.Serializer):
    id = serializers.IntegerField()
    target = serializers.CharField()
    reason = serializers.CharField()
    state = serializers.CharField()


# --- questions ------------------------------------------------------------------------------------------------------


class QuestionAskInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=65536, default="")
    category = serializers.SlugField(max_length=50)
    opensid_version = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")
    hosting = serializers.ChoiceField(choices=Hosting.choices, default=Hosting.LAINNYA)


class QuestionListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("filter", str, enum=list(selectors.FILTERS)),
            OpenApiParameter("category", str),
            OpenApiParameter("region", str, description="region code prefix, e.g. 52.03"),
            OpenApiParameter("q", str, description="full-text search in public questions and their answers"),
            OpenApiParameter("cursor", str),
            OpenApiParameter("limit", int),
        ],
        responses=QuestionListOut,
        operation_id="forum_questions_list",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        which = params.get("filter", "latest") or "latest"
        if which not in selectors.FILTERS:
            raise exceptions.ValidationError({"filter": [_("Pilih latest, unanswered atau solved.")]})
        limit = params.get("limit", "")
        q = params.get("q", "").strip()
        if q:
            rows = selectors.search_questions(q, category=params.get("category", "").strip(),
                                    limit=min(to_id(limit) or 20, 50))
            return Response({"results": [question_summary(t, request) for t in rows], "next": None})
        try:
            rows, next_cursor = selectors.question_list(
                filter=which, category=params.get("category", "").strip(), region=params.get("region", "").strip(),
                cursor=params.get("cursor", ""), limit=to_id(limit) or selectors.DEFAULT_PAGE,
            )
        except selectors.BadCursor:
            raise exceptions.ValidationError({"cursor": [_("Kursor tidak valid.")]}) from None
        return Response({"results": [question_summary(t, request) for t in rows], "next": next_cursor})

    @extend_schema(request=QuestionAskInput, responses={201: QuestionAskedOut})
    def post(self, request: Request) -> Response:
        """Ask a public question; personal data in the title and text is masked first."""
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        serializer = QuestionAskInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.rate(current_user(request), "ticket_create")
        asked = services.question_ask(reporter=current_user(request), channel=Channel.API, **serializer.validated_data)
        body = question_summary(asked.ticket, request)
        body["masked"] = asked.masked
        return Response(body, status=status.HTTP_201_CREATED)


class QuestionEditInput(ChangeInput):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=65536, default="")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class QuestionDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=QuestionDetailOut)
    def get(self, request: Request, ticket_id: int) -> Response:
        return question_detail(request, public_question(request.user, ticket_id))

    @extend_schema(request=QuestionEditInput, responses=QuestionDetailOut)
    def patch(self, request: Request, ticket_id: int) -> Response:
        """Edit the question (its author, moderators, members with the level); the old text is kept."""
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        ticket = access.access_question(request.user, ticket_id)
        serializer = QuestionEditInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.post_edit(editor=current_user(request), ticket=ticket, title=data["title"], body=data["description"],
                           reason=data["reason"])
        return question_detail(request, access.access_question(request.user, ticket_id))


class AcceptInput(serializers.Serializer):
    message = IdField()


class AcceptApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=AcceptInput, responses=QuestionDetailOut)
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = access.access_question(request.user, ticket_id)
        serializer = AcceptInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.answer_accept(actor=current_user(request), ticket=ticket, message_id=serializer.validated_data["message"],
                               channel=Channel.API)
        return question_detail(request, access.access_question(request.user, ticket_id))


# --- votes ----------------------------------------------------------------------------------------------------------


class VoteInput(serializers.Serializer):
    value = serializers.ChoiceField(choices=[(1, "1"), (-1, "-1")])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


def _score(score: services.Score) -> dict[str, Any]:
    return {"message": score.message_id, "score": score.score, "upvotes": score.upvotes,
            "downvotes": score.downvotes, "my_vote": score.mine}


class VoteApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=VoteInput, responses=ScoreOut)
    def post(self, request: Request, message_id: int) -> Response:
        message, _ticket = access.access_answer(request.user, message_id)
        serializer = VoteInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        score = services.vote_cast(voter=current_user(request), message=message, value=int(serializer.validated_data["value"]),
                                   reason=serializer.validated_data["reason"])
        return Response(_score(score))

    @extend_schema(request=None, responses={200: ScoreOut})
    def delete(self, request: Request, message_id: int) -> Response:
        message, _ticket = access.access_answer(request.user, message_id)
        return Response(_score(services.vote_retract(voter=current_user(request), message=message)))


# --- comments --------------------------------------------------------------------------------------------------------


class CommentInput(serializers.Serializer):
    body = serializers.CharField(max_length=services.MAX_COMMENT_CHARS)
    message = IdField(required=False, allow_null=True, help_text="an answer; empty: the question")


class CommentCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=CommentInput, responses={201: CommentOut})
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = public_question(request.user, ticket_id)
        serializer = CommentInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = None
        if serializer.validated_data.get("message"):
            message = Message.objects.select_related("author").filter(
                pk=serializer.validated_data["message"], ticket=ticket, kind=Message.Kind.REPLY, is_hidden=False
            ).first()
            if message is None:
                raise exceptions.ValidationError({"message": [_("Jawaban itu bukan milik pertanyaan ini.")]})
        comment = services.comment_create(author=current_user(request), ticket=ticket, body=serializer.validated_data["body"],
                                          message=message)
        return Response(comment_dict(comment), status=status.HTTP_201_CREATED)


# --- flags ------------------------------------------------------------------------------------------------------------


class FlagInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=FlagReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


def _flag_out(flag: Flag) -> dict[str, Any]:
    return {"id": flag.pk, "target": flag.target, "reason": flag.reason, "state": flag.state}


class _FlagApi(APIView):
    permission_classes = [IsAuthenticated]

    def target(self, request: Request, pk: int) -> dict[str, Any]:
        raise NotImplementedError

    @extend_schema(request=FlagInput, responses={201: FlagOut})
    def post(self, request: Request, pk: int) -> Response:
        target = self.target(request, pk)
        serializer = FlagInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        flag = services.flag_create(flagger=current_user(request), **target, **serializer.validated_data)
        return Response(_flag_out(flag), status=status.HTTP_201_CREATED)


class MessageFlagApi(_FlagApi):
    def target(self, request: Request, pk: int) -> dict[str, Any]:
        message, ticket = access.access_answer(request.user, pk)
        return {"ticket": ticket, "message": message}


class QuestionFlagApi(_FlagApi):
    def target(self, request: Request, pk: int) -> dict[str, Any]:
        return {"ticket": public_question(request.user, pk)}


class CommentFlagApi(_FlagApi):
    def target(self, request: Request, pk: int) -> dict[str, Any]:
        comment, ticket = access.access_comment(request.user, pk)
        return {"ticket": ticket, "comment": comment}


# --- people ------------------------------------------------------------------------------------------------------------


def _post(m: Message) -> dict[str, Any]:
    return {"id": m.pk, "question": m.ticket_id, "number": m.ticket.number, "title": m.ticket.title,
            "url": f"{services.question_url(m.ticket)}#jawaban-{m.pk}", "created_at": iso(m.created_at)}


class ProfileApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ProfileOut)
    def get(self, request: Request, username: str) -> Response:
        found = selectors.profile(username, request.user)
        if found is None:
            raise Http404
        level = found.standing.level
        return Response({
            "user": person(found.user),
            "desa": found.user.desa.name if found.user.desa else None,
            "reputation": found.standing.points,
            "level": {"number": level.number, "name": str(level.name)},
            "accepted_answers": found.standing.accepted_answers,
            "points_last_30_days": found.recent_points,
            "forums": found.forums,
            "answers": [_post(m) for m in found.answers],
            "accepted": [_post(m) for m in found.accepted],
            "questions": [{"id": t.pk, "number": t.number, "title": t.title, "url": services.question_url(t)}
                          for t in found.questions],
        })


class LeaderboardApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("forum", int),
            OpenApiParameter("region", str, description="a kabupaten/kota code, e.g. 52.03"),
            OpenApiParameter("period", str, enum=["month", "all"]),
        ],
        responses=LeaderboardOut,
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        forum_id = query_id(params, "forum")
        if forum_id is not None and not Forum.objects.filter(pk=forum_id).exists():
            raise exceptions.ValidationError({"forum": [_("Forum tidak ditemukan.")]})
        region = reputation.kabupaten_of(params.get("region", "").strip()) if params.get("region") else ""
        period = params.get("period", "month")
        since = selectors.month_start() if period != "all" else None
        leaders = selectors.leaderboard(forum_id=forum_id, region_code=region, since=since, limit=20)
        return Response({
            "forum": forum_id, "region": region, "period": "all" if since is None else "month",
            "results": [{"rank": i, "user": person(x.user), "points": x.points} for i, x in enumerate(leaders, 1)],
        })

