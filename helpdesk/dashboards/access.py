"""Who may see which dashboard: one function decides the caller's scope; the API and the pages both ask it.

- admins and planners see every region; planners see forums, never people or ticket text;
- coordinators see the regions their forums cover (and everything below them), with volunteers' figures;
- everyone else (operators, volunteers, anonymous) sees no dashboard, only the open data.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from helpdesk.accounts.access import AnyUser, forums_of, is_admin, is_planner
from helpdesk.accounts.models import ForumMembership, ForumRegion


@dataclass(frozen=True)
class Scope:
    # None: the whole country. Otherwise the region codes at the top of the caller's scope.
    roots: tuple[str, ...] | None
    sees_people: bool  # volunteers' names and per-volunteer figures
    sees_tickets: bool  # numbers link to the ticket list behind them
    forum_ids: frozenset[int] = frozenset()

    @property
    def everywhere(self) -> bool:
        return self.roots is None

    def covers(self, code: str) -> bool:
        """Is region `code` (or the whole country, '') inside this scope?"""
        if self.roots is None:
            return True
        if not code:
            return False
        return any(code == root or code.startswith(f"{root}.") for root in self.roots)

    def default_region(self) -> str:
        """The region a page opens on when none is asked for ('' = the whole country)."""
        if self.roots is None or not self.roots:
            return ""
        return self.roots[0] if len(self.roots) == 1 else ""


def dashboard_scope(user: AnyUser) -> Scope:
    """The caller's scope, or PermissionDenied (403) for anyone without a dashboard."""
    if is_admin(user):
        return Scope(roots=None, sees_people=True, sees_tickets=True)
    coordinated = forums_of(user, ForumMembership.Role.COORDINATOR)
    if is_planner(user):
        return Scope(roots=None, sees_people=False, sees_tickets=False)
    if coordinated:
        codes = sorted(ForumRegion.objects.filter(forum_id__in=coordinated).values_list("region_id", flat=True))
        # A node already under another root adds nothing.
        roots = tuple(c for c in codes if not any(c != r and c.startswith(f"{r}.") for r in codes))
        return Scope(roots=roots, sees_people=True, sees_tickets=True, forum_ids=frozenset(coordinated))
    raise PermissionDenied


def can_see_dashboard(user: AnyUser) -> bool:
    return is_admin(user) or is_planner(user) or bool(forums_of(user, ForumMembership.Role.COORDINATOR))


def check_region(scope: Scope, code: str) -> None:
    """403 when `code` lies outside the scope (an unknown code is the parser's 400, decided before this)."""
    if not scope.covers(code):
        raise PermissionDenied
