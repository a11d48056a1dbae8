"""Where each person's work is: the page they land on after signing in, and the links the header offers them.

One place decides both, so the header never offers a page that would answer 403, and the landing page follows
the same rules. Pages of apps above this layer are named by URL name only (no import).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from .access import (
    AnyUser,
    forums_of,
    is_admin,
    is_operator,
    is_pending_operator,
    is_planner,
    is_verified_operator,
    signed_in,
)

# Tried in order: the first URL name that exists in this project is the planner's landing page.


@dataclass(frozen=True)
class NavLinks:
    """Which of the signed-in header's links this person can use."""

    tickets: bool = False  # "Tiket desa": the operator's own desa
    queue: bool = False  # "Antrean": a team's tickets
    new_ticket: bool = False  # "Lapor masalah": a verified operator (a pending one prepares a draft there)
    notifications: bool = False


def nav_links(user: AnyUser) -> NavLinks:
    if not signed_in(user):
        return NavLinks()
    in_team = bool(forums_of(user)) or is_admin(user)
    return NavLinks(tickets=is_operator(user), queue=in_team, new_ticket=is_verified_operator(user) or is_pending_operator(user),
                    notifications=True)


def landing_url(user: AnyUser) -> str:
    """The page a person lands on after signing in when no `next` was asked for."""
    if not signed_in(user):
        return "/"
    coordinated = sorted(forums_of(user, "coordinator"))
    if coordinated:
        return reverse("accounts:forum", args=[coordinated[0]])
    if forums_of(user) or is_admin(user):
        return reverse("queue")
    if is_operator(user):
        return reverse("tickets")
    if is_planner(user):
        return reverse("dashboard")  # by name: accounts sits below the dashboards app and does not import it
    return "/"
