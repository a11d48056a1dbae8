"""Reads for people and forums. Lists take a fixed number of queries, whatever their length."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from helpdesk.regions.codes import ancestor_codes

from .access import forum_for_region, forums_of, is_admin
from .models import Forum, ForumMembership, ForumRegion, Invitation, User

PENDING_LIST_LIMIT = 500


@dataclass(frozen=True)
class ForumTree:
    """Which forum covers which node, and who escalates to whom: the whole map in two queries."""

    coverage: dict[str, int]
    parents: dict[int, int | None]
    root_id: int | None

    def forum_of(self, code: str) -> int | None:
        """Mirrors access.forum_for_region: the nearest covered node at or above `code`, else the root."""
        for node in ancestor_codes(code, include_self=True):
            if node in self.coverage:
                return self.coverage[node]
        return self.root_id

    def chain(self, forum_id: int | None) -> list[int]:
        """The forum and the forums above it, nearest first."""
        chain: list[int] = []
        while forum_id is not None and forum_id not in chain:
            chain.append(forum_id)
            forum_id = self.parents.get(forum_id)
        return chain


def forum_tree() -> ForumTree:
    forums = list(Forum.objects.values_list("pk", "parent_id", "is_active"))
    coverage = dict(ForumRegion.objects.filter(forum__is_active=True).values_list("region_id", "forum_id"))
    covering = set(ForumRegion.objects.values_list("forum_id", flat=True).distinct())
    roots = sorted(pk for pk, parent, active in forums if parent is None and active and pk not in covering)
    return ForumTree(
        coverage=coverage, parents={pk: parent for pk, parent, _a in forums}, root_id=roots[0] if roots else None
    )


def _with_desa_path(qs: QuerySet[User]) -> QuerySet[User]:
    return qs.select_related("desa", "desa__parent", "desa__parent__parent")


def operator_pending_list(*, user: User) -> list[User]:
    """Pending operators `user` may verify: all for admins; for coordinators, those their forums cover."""
    pending = _with_desa_path(
        User.objects.filter(operator_status=User.OperatorStatus.PENDING, is_active=True, desa__isnull=False)
    ).order_by("date_joined", "pk")
    if is_admin(user):
        return list(pending[:PENDING_LIST_LIMIT])
    coordinated = forums_of(user, ForumMembership.Role.COORDINATOR)
    if not coordinated:
        return []
    tree = forum_tree()

    def allowed(forum_id: int | None) -> bool:
        return any(f in coordinated for f in tree.chain(forum_id))

    # Narrow the query to the nodes of forums under the coordinator's; everything when the root is theirs.
    if not allowed(tree.root_id):
        nodes = [code for code, forum_id in tree.coverage.items() if allowed(forum_id)]
        if not nodes:
            return []
        where = Q()
        for code in nodes:
            where |= Q(desa_id=code) | Q(desa__code__startswith=f"{code}.")
        pending = pending.filter(where)
    return [op for op in pending[: PENDING_LIST_LIMIT * 2] if allowed(tree.forum_of(str(op.desa_id)))][
        :PENDING_LIST_LIMIT
    ]


def forum_list(*, user: User) -> QuerySet[Forum]:
    """Every forum for admins; the forums a person is an active member of otherwise."""
    qs = forum_list_all()
    if is_admin(user):
        return qs.order_by("name")
    return qs.filter(pk__in=forums_of(user)).order_by("name")


def forum_get(forum_id: int) -> Forum | None:
    return forum_list_all().filter(pk=forum_id).first()


def forum_list_all() -> QuerySet[Forum]:
    return Forum.objects.select_related("parent").prefetch_related(
        Prefetch("coverage", queryset=ForumRegion.objects.select_related("region").order_by("region_id"))
    )


def forum_members(*, forum: Forum, include_inactive: bool = False) -> QuerySet[ForumMembership]:
    qs = ForumMembership.objects.filter(forum=forum).select_related("user").prefetch_related("categories")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("-is_active", "role", "user__username")


def forum_invitations(*, forum: Forum, limit: int = 50) -> list[Invitation]:
    return list(
        Invitation.objects.filter(forum=forum)
        .select_related("created_by", "used_by", "forum")
        .prefetch_related("categories")
        .order_by("-created_at")[:limit]
    )


def invitation_state(invitation: Invitation) -> str:
    """`open`, `used`, `revoked` or `expired`."""
    if invitation.used_at:
        return "used"
    if invitation.revoked_at:
        return "revoked"
    if invitation.expires_at <= timezone.now():
        return "expired"
    return "open"


def invitation_get(*, forum: Forum, invitation_id: int) -> Invitation | None:
    return (
        Invitation.objects.filter(forum=forum, pk=invitation_id)
        .select_related("created_by", "used_by", "forum")
        .prefetch_related("categories")
        .first()
    )


def user_memberships(*, user: User) -> list[ForumMembership]:
    """The person's active memberships with their forums and skills (for /me/ and the profile page)."""
    if not user.is_authenticated:
        return []
    return list(
        ForumMembership.objects.filter(user=user, is_active=True, forum__is_active=True)
        .select_related("forum")
        .prefetch_related("categories")
        .order_by("forum__name")
    )


def user_by_username(username: str) -> User | None:
    return User.objects.filter(username__iexact=(username or "").strip()).first()


def coordinators_for_desa(desa_code: str) -> list[User]:
    """The active coordinators of the team covering this desa: who verifies its operators."""
    forum = forum_for_region(desa_code)
    if forum is None:
        return []
    return list(User.objects.filter(
        memberships__forum=forum, memberships__role=ForumMembership.Role.COORDINATOR,
        memberships__is_active=True, is_active=True,
    ).distinct())
