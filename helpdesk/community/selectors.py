"""Reads of the forum. Every list is a fixed number of queries whatever its length; the question list uses
keyset pagination like the ticket list."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from helpdesk.accounts.access import AnyUser
from helpdesk.accounts.models import ForumMembership, User
from helpdesk.tickets import access as ticket_access
from helpdesk.tickets.models import OPEN_STATUSES, Attachment, Message, Status, Ticket, Visibility
from helpdesk.tickets.selectors import BadCursor, decode_cursor, encode_cursor
from search import SearchQuery, SearchQueryError, get_backend

from . import access, reputation
from .indexing import DOC_TYPE
from .models import Comment, Flag, ModerationAction, ReputationEvent, Revision, Vote

DEFAULT_PAGE = 25
MAX_PAGE = 100
FILTERS = ("latest", "unanswered", "solved")
SOLVED_STATUSES = (Status.SELESAI, Status.DITUTUP)

__all__ = ["BadCursor", "encode_cursor"]


def public_questions() -> QuerySet[Ticket]:
    return Ticket.objects.filter(visibility=Visibility.PUBLIC, merged=False)


def question_list(
    *, filter: str = "latest", category: str = "", region: str = "", cursor: str = "", limit: int = DEFAULT_PAGE
) -> tuple[list[Ticket], str | None]:
    """Public questions, newest first. `unanswered`: open and without a public reply yet; `solved`: an answer was
    accepted. One query."""
    limit = max(1, min(int(limit), MAX_PAGE))
    qs = public_questions()
    if filter == "unanswered":
        qs = qs.filter(reply_count=0, status__in=OPEN_STATUSES)
    elif filter == "solved":
        qs = qs.filter(accepted_message__isnull=False, status__in=SOLVED_STATUSES)
    if category:
        qs = qs.filter(category__slug=category)
    if region:
        qs = qs.filter(Q(desa_id=region) | Q(desa__code__startswith=f"{region}."))
    if cursor:
        after = decode_cursor(cursor)
        if after is None:
            raise BadCursor(cursor)
        qs = qs.filter(pk__lt=after)
    rows = list(qs.select_related("category", "desa", "reporter").order_by("-pk")[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1].pk) if len(rows) > limit else None
    return rows[:limit], next_cursor


# --- one question ---------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    message: Message
    score: int
    upvotes: int
    downvotes: int
    accepted: bool
    mine: int = 0  # the viewer's vote
    comments: list[Comment] = field(default_factory=list)
    # What the viewer may do with it, decided once by the page (templates only read these).
    votable: bool = False
    editable: bool = False
    history: bool = False
    flaggable: bool = False
    commentable: bool = False
    author_points: int = 0


@dataclass
class QuestionPage:
    ticket: Ticket
    answers: list[Answer]
    comments: list[Comment]  # under the question itself
    canonical: Ticket | None
    total: int = 0  # answers the viewer may see, on every page
    number: int = 1
    pages: int = 1


def answers_queryset(ticket: Ticket, *, include_hidden: bool) -> QuerySet[Message]:
    """Accepted first, then by score, then oldest first."""
    qs = (
        Message.objects.filter(ticket=ticket, kind=Message.Kind.REPLY)
        .select_related("author", "author__forum_reputation", "forum_score")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .annotate(
            first=Case(When(pk=ticket.accepted_message_id or 0, then=Value(0)), default=Value(1),
                       output_field=IntegerField()),
            votes=Coalesce("forum_score__score", Value(0)),
        )
    )
    if not include_hidden:
        qs = qs.filter(is_hidden=False)
    return qs.order_by("first", "-votes", "created_at", "pk")


ANSWERS_PER_PAGE = 50


def question_page(user: AnyUser, ticket: Ticket, *, page: int = 1, per_page: int | None = ANSWERS_PER_PAGE) -> QuestionPage:
    """One page of answers in order with their scores, the viewer's votes and the comments (six queries at most);
    `per_page=None` gives every answer on one page."""
    moderator = ticket_access.can_see_internal(user, ticket) or access.is_moderator(user, ticket)
    qs = answers_queryset(ticket, include_hidden=moderator)
    total, pages = 0, 1
    if per_page is None:
        messages = list(qs)
        total = len(messages)
    else:
        total = qs.count()
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        messages = list(qs[(page - 1) * per_page: page * per_page])
    mine: dict[int, int] = {}
    if access.signed_in(user) and messages:
        mine = dict(
            Vote.objects.filter(voter_id=user.pk, message_id__in=[m.pk for m in messages]).values_list("message_id", "value")
        )
    comments_qs = (
        Comment.objects.filter(ticket=ticket)
        .filter(Q(message__isnull=True) | Q(message_id__in=[m.pk for m in messages]))
        .select_related("author").order_by("created_at", "pk")
    )
    if not moderator:
        comments_qs = comments_qs.filter(is_hidden=False)
    by_message: dict[int | None, list[Comment]] = {}
    for comment in comments_qs:
        by_message.setdefault(comment.message_id, []).append(comment)
    answers = []
    for m in messages:
        score = getattr(m, "forum_score", None) if _has_score(m) else None
        answers.append(Answer(
            message=m, score=score.score if score else 0, upvotes=score.upvotes if score else 0,
            downvotes=score.downvotes if score else 0, accepted=m.pk == ticket.accepted_message_id,
            mine=mine.get(m.pk, 0), comments=by_message.get(m.pk, []),
        ))
    canonical = None
    if ticket.duplicate_of_id:
        canonical = Ticket.objects.filter(pk=ticket.duplicate_of_id).only("pk", "number", "title", "visibility").first()
    return QuestionPage(ticket=ticket, answers=answers, comments=by_message.get(None, []), canonical=canonical,
                        total=total, number=page if per_page is not None else 1, pages=pages)


def _has_score(message: Message) -> bool:
    try:
        message.forum_score  # noqa: B018 - a reverse one-to-one raises when there is no row
    except Message.forum_score.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        return False
    return True


def revisions(ticket: Ticket, *, message: Message | None = None, comment: Comment | None = None) -> list[Revision]:
    qs = Revision.objects.filter(ticket=ticket).select_related("editor")
    if comment is not None:
        qs = qs.filter(comment=comment)
    elif message is not None:
        qs = qs.filter(message=message)
    else:
        qs = qs.filter(message__isnull=True, comment__isnull=True)
    return list(qs.order_by("-created_at", "-pk"))


def moderation_log(ticket: Ticket, limit: int = 50) -> list[ModerationAction]:
    return list(ModerationAction.objects.filter(ticket=ticket).select_related("actor").order_by("-at", "-pk")[:limit])


# --- profiles ---------------------------------------------------------------------------------------------------------


@dataclass
class Profile:
    user: User
    standing: reputation.Standing
    forums: list[str]
    answers: list[Message]
    accepted: list[Message]
    questions: list[Ticket]
    recent_points: int


def profile(username: str, viewer: AnyUser, *, limit: int = 20) -> Profile | None:
    """What anyone may see of a member: public answers and questions only, whatever earned the points."""
    user = User.objects.filter(username=username, is_active=True).select_related("desa").first()
    if user is None:
        return None
    public_answers = (
        Message.objects.filter(author=user, kind=Message.Kind.REPLY, is_hidden=False, ticket__visibility=Visibility.PUBLIC,
                               ticket__merged=False)
        .select_related("ticket")
        .order_by("-created_at", "-pk")
    )
    forums = list(
        ForumMembership.objects.filter(user=user, is_active=True, forum__is_active=True)
        .order_by("forum__name").values_list("forum__name", flat=True)
    )
    standing = reputation.standing(user)
    answers = list(public_answers[:limit])
    questions = list(public_questions().filter(reporter=user).select_related("category").order_by("-pk")[:limit])
    # Only who has a public side (a ForSID member, something public written, points) has a public page: the
    # address does not confirm that an account such as a planner's exists. The owner always sees theirs.
    own = viewer.is_authenticated and viewer.pk == user.pk
    if not own and not (forums or answers or questions or standing.points):
        return None
    since = timezone.now() - timedelta(days=30)
    recent = ReputationEvent.objects.filter(user=user, created_at__gte=since).aggregate(n=Sum("points"))["n"] or 0
    return Profile(
        user=user,
        standing=standing,
        forums=forums,
        answers=answers,
        accepted=list(public_answers.filter(ticket__accepted_message_id=F("pk"))[:limit]),
        questions=questions,
        recent_points=recent,
    )


# --- moderation queue -------------------------------------------------------------------------------------------------


@dataclass
class QueueItem:
    target: str
    ticket: Ticket
    message: Message | None
    comment: Comment | None
    flags: list[Flag]

    @property
    def first(self) -> Flag:
        return self.flags[0]

    @property
    def reasons(self) -> list[str]:
        return sorted({f.get_reason_display() for f in self.flags})

    @property
    def author(self) -> User | None:
        if self.comment is not None:
            return self.comment.author
        if self.message is not None:
            return self.message.author
        return self.ticket.reporter

    @property
    def text(self) -> str:
        if self.comment is not None:
            return self.comment.body
        if self.message is not None:
            return self.message.body
        return f"{self.ticket.title}\n\n{self.ticket.description}"


def moderation_queue(user: AnyUser, *, forum_id: int | None = None, limit: int = 200) -> list[QueueItem]:
    """Open flags of the forums the user coordinates (all for admins), one item per flagged post, oldest first.
    One query."""
    forum_ids = access.moderated_forum_ids(user)
    qs = Flag.objects.filter(state=Flag.State.OPEN)
    if forum_ids is not None:
        qs = qs.filter(forum_id__in=forum_ids)
    if forum_id is not None:
        qs = qs.filter(forum_id=forum_id)
    rows = qs.select_related(
        "ticket", "ticket__reporter", "ticket__category", "ticket__desa", "message", "message__author", "comment",
        "comment__author", "flagger", "forum",
    ).order_by("created_at", "pk")[:limit]
    items: OrderedDict[str, QueueItem] = OrderedDict()
    for flag in rows:
        item = items.get(flag.target)
        if item is None:
            item = items[flag.target] = QueueItem(flag.target, flag.ticket, flag.message, flag.comment, [])
        item.flags.append(flag)
    return list(items.values())


def hidden_questions(user: AnyUser, limit: int = 50) -> list[ModerationAction]:
    """Questions a moderator hid (made private) that are still hidden, for the queue page's unhide buttons."""
    forum_ids = access.moderated_forum_ids(user)
    qs = ModerationAction.objects.filter(
        action=ModerationAction.Action.HIDE, message__isnull=True, comment__isnull=True,
        ticket__visibility=Visibility.PRIVATE,
    )
    if forum_ids is not None:
        qs = qs.filter(ticket__forum_id__in=forum_ids)
    return list(qs.select_related("ticket", "actor").order_by("-at")[:limit])


# --- leaderboards -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leader:
    user: User
    points: int


def month_start(now: datetime | None = None) -> datetime:
    local = timezone.localtime(now or timezone.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def leaderboard(
    *, forum_id: int | None = None, region_code: str = "", since: datetime | None = None,
    until: datetime | None = None, limit: int = 10,
) -> list[Leader]:
    """Points earned per person, best first: per forum and/or kabupaten, since a moment (a month) or all-time.
    Two queries."""
    qs = ReputationEvent.objects.all()
    if forum_id is not None:
        qs = qs.filter(forum_id=forum_id)
    if region_code:
        qs = qs.filter(region_code=region_code)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    rows = list(
        qs.values("user_id").annotate(total=Sum("points")).filter(total__gt=0).order_by("-total", "user_id")[:limit]
    )
    users = User.objects.filter(pk__in=[r["user_id"] for r in rows]).select_related("desa").in_bulk()
    return [Leader(users[r["user_id"]], r["total"]) for r in rows if r["user_id"] in users]


# --- search ------------------------------------------------------------------------------------------------------------


def search_questions(text: str, *, category: str = "", limit: int = 20) -> list[Ticket]:
    """Public questions matching `text`, best first. The index holds public questions only; the database
    confirms each hit is still public (two queries besides the search)."""
    try:
        query = SearchQuery(text=text[:1000], doc_types=(DOC_TYPE,), category=category, limit=max(1, min(limit, 50)))
    except SearchQueryError:
        return []
    hits = get_backend().search(query).hits
    ids = [int(h.doc_id) for h in hits if h.doc_id.isdigit()]
    found = public_questions().filter(pk__in=ids).select_related("category", "desa", "reporter").in_bulk()
    return [found[i] for i in ids if i in found]


@dataclass(frozen=True)
class Similar:
    title_html: str  # escaped, with <mark> around matched words
    url: str
    kind: str  # "kb" (a knowledge-base entry) or "question"


KB_DOC_TYPE = "kb"  # the knowledge base's documents in search (registered by helpdesk/kb)


def similar(text: str, *, limit: int = 5) -> list[Similar]:
    """What is already answered, while someone writes a question: knowledge-base entries and public questions
    that resemble the text (the search's more-like-this, the same one the ticket form uses)."""
    if not text.strip():
        return []
    try:
        hits = get_backend().suggest(text[:4000], limit=limit, doc_types=(KB_DOC_TYPE, DOC_TYPE)).hits
    except SearchQueryError:
        return []
    return [Similar(h.title_html, h.url, h.doc_type) for h in hits]
