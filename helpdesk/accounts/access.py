"""The role rules. Every entry point (web, API, websocket, Telegram) asks these functions, nothing else.

An object's own door (`access_ticket`, ...) lives beside that object and is built on these helpers.
Membership is read once per user object and cached on it, so a request asks the database at most once.
"""

from __future__ import annotations

from typing import TypeAlias, TypeGuard

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from helpdesk.regions.codes import ancestor_codes

from .models import Forum, ForumMembership, ForumRegion, User

ROLE_OPERATOR, ROLE_VOLUNTEER, ROLE_COORDINATOR, ROLE_ADMIN, ROLE_PLANNER = (
    "operator",
    "volunteer",
    "coordinator",
    "admin",
    "planner",
)

# Whoever makes a request: a signed-in account or the anonymous visitor. Every helper copes with both.
AnyUser: TypeAlias = User | AnonymousUser


def signed_in(user: AnyUser | None) -> TypeGuard[User]:
    """A real, active account (not anonymous, not deactivated). Every door starts here."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_admin(user: AnyUser) -> TypeGuard[User]:
    return signed_in(user) and bool(user.is_superuser)


def is_planner(user: AnyUser) -> TypeGuard[User]:
    return signed_in(user) and (bool(user.is_planner) or is_admin(user))


def is_operator(user: AnyUser) -> TypeGuard[User]:
    """Has a desa, whatever the verification state."""
    return signed_in(user) and user.desa_id is not None and user.operator_status != User.OperatorStatus.NONE


def is_verified_operator(user: AnyUser) -> TypeGuard[User]:
    return signed_in(user) and user.desa_id is not None and user.operator_status == User.OperatorStatus.VERIFIED


def is_pending_operator(user: AnyUser) -> TypeGuard[User]:
    """Signed up for a desa and waiting for verification: may prepare a draft ticket, not file one."""
    return signed_in(user) and user.desa_id is not None and user.operator_status == User.OperatorStatus.PENDING


def forum_roles(user: AnyUser) -> dict[int, str]:
    """{forum_id: role} of the user's active memberships in active forums (cached on the user object)."""
    if not signed_in(user):
        return {}
    cached: dict[int, str] | None = user.__dict__.get("_forum_roles_cache")
    if cached is None:
        cached = dict(
            ForumMembership.objects.filter(user=user, is_active=True, forum__is_active=True).values_list(
                "forum_id", "role"
            )
        )
        user.__dict__["_forum_roles_cache"] = cached
    return cached


def forget_roles(user: AnyUser) -> None:
    """Drop the cached memberships after a change (tests, services that add a member)."""
    user.__dict__.pop("_forum_roles_cache", None)


def forums_of(user: AnyUser, role: str | None = None) -> set[int]:
    """Forum ids where the user is a member; `role=coordinator` narrows to the ones they run."""
    roles = forum_roles(user)
    if role is None:
        return set(roles)
    return {forum_id for forum_id, r in roles.items() if r == role}


def _forum_id(forum: Forum | int) -> int:
    return forum if isinstance(forum, int) else forum.pk


def is_member_of(user: AnyUser, forum: Forum | int) -> bool:
    """Volunteer or coordinator of that forum (coordinators are volunteers too)."""
    return _forum_id(forum) in forum_roles(user)


def is_coordinator_of(user: AnyUser, forum: Forum | int) -> bool:
    return forum_roles(user).get(_forum_id(forum)) == ForumMembership.Role.COORDINATOR


def can_manage_forum(user: AnyUser, forum: Forum | int) -> bool:
    return is_admin(user) or is_coordinator_of(user, forum)


def roles_of(user: AnyUser) -> list[str]:
    if not signed_in(user):
        return []
    roles: list[str] = []
    if is_operator(user):
        roles.append(ROLE_OPERATOR)
    forum_role_values = set(forum_roles(user).values())
    if forum_role_values:
        roles.append(ROLE_VOLUNTEER)
    if ForumMembership.Role.COORDINATOR in forum_role_values:
        roles.append(ROLE_COORDINATOR)
    if is_admin(user):
        roles.append(ROLE_ADMIN)
    if is_planner(user):
        roles.append(ROLE_PLANNER)
    return roles


def forum_for_region(code: str) -> Forum | None:
    """The forum of the nearest covered node at or above `code`, else the national root forum."""
    return forum_and_node_for_region(code)[0]


def forum_and_node_for_region(code: str) -> tuple[Forum | None, str | None]:
    """The forum for `code` and the covered region node that decided it (None for the root fallback)."""
    chain = ancestor_codes(code, include_self=True)
    covered = {
        cov.region_id: cov.forum
        for cov in ForumRegion.objects.filter(region_id__in=chain, forum__is_active=True).select_related("forum")
    }
    for node in chain:
        if node in covered:
            return covered[node], node
    return root_forum(), None


def root_forum() -> Forum | None:
    """The national core team: the active forum with no parent and no regions of its own."""
    return Forum.objects.filter(parent__isnull=True, is_active=True, coverage__isnull=True).order_by("pk").first()


def can_verify_operator(user: AnyUser, operator: User) -> bool:
    """Admins, and coordinators of the forum that covers the operator's desa (or of a forum above it)."""
    if is_admin(user):
        return True
    if not signed_in(user) or operator.desa_id is None:
        return False
    coordinated = forums_of(user, ForumMembership.Role.COORDINATOR)
    if not coordinated:
        return False
    forum = forum_for_region(operator.desa_id)
    seen: set[int] = set()
    while forum is not None and forum.pk not in seen:
        if forum.pk in coordinated:
            return True
        seen.add(forum.pk)
        forum = forum.parent
    return False


# --- Doors to the accounts app's own objects -------------------------------------------------------------
# Each raises Http404 when the object does not exist and PermissionDenied (403) when it exists but the
# user may not act on it; the API and the web pages turn those into the contract's errors.


def access_forum(user: AnyUser, forum_id: int, *, manage: bool = False) -> Forum:
    """A forum its members may see and its coordinators (or an admin) may manage."""
    forum = Forum.objects.filter(pk=forum_id).first()
    if forum is None:
        raise Http404
    allowed = can_manage_forum(user, forum) if manage else (is_admin(user) or is_member_of(user, forum))
    if not allowed:
        raise PermissionDenied
    return forum


def access_operator(user: AnyUser, operator_id: int) -> User:
    """An operator account that `user` may verify, reject or deactivate."""
    operator = User.objects.filter(pk=operator_id).exclude(operator_status=User.OperatorStatus.NONE).first()
    if operator is None or operator.desa_id is None:
        raise Http404
    if not can_verify_operator(user, operator):
        raise PermissionDenied
    return operator


def access_membership(user: AnyUser, forum: Forum, member_id: int, *, manage: bool = True) -> ForumMembership:
    """A membership of `forum`: managers may change any; a member may change their own availability."""
    membership = ForumMembership.objects.select_related("user", "forum").filter(forum=forum, user_id=member_id).first()
    if membership is None:
        raise Http404
    if not (can_manage_forum(user, forum) or (not manage and signed_in(user) and membership.user_id == user.pk)):
        raise PermissionDenied
    return membership


def can_deactivate_membership(user: AnyUser, membership: ForumMembership) -> bool:
    """Coordinators remove volunteers of their forum; removing a coordinator takes an admin."""
    if is_admin(user):
        return True
    return membership.role == ForumMembership.Role.VOLUNTEER and is_coordinator_of(user, membership.forum_id)
