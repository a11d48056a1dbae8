"""`{% account_menu %}`: the sign-in links, or the signed-in person's links by role, for base.html's header;
`{% nav_links %}` and `{% header_search %}`: which of the header's links and search box the page shows."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser

from helpdesk.accounts.access import AnyUser, forums_of, is_admin
from helpdesk.accounts.landing import NavLinks
from helpdesk.accounts.landing import nav_links as links_for

register = template.Library()

# Pages whose main column opens with the search box (issue 15 item 7): a second one in the header would only add
# weight and a second field with the same name for screen readers.
PAGES_WITH_SEARCH_BOX = frozenset({"home", "kb-home", "forum-home", "search"})


@register.inclusion_tag("accounts/_menu.html", takes_context=True)
def account_menu(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user: AnyUser = getattr(request, "user", None) or AnonymousUser()
    signed_in = user.is_authenticated
    coordinates = signed_in and bool(forums_of(user, "coordinator"))
    admin = signed_in and is_admin(user)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "signed_in": signed_in,
        "account": user,
        "in_forum": signed_in and (admin or bool(forums_of(user))),
        "verifies": coordinates or admin,
    }


@register.simple_tag(takes_context=True)
def nav_links(context: template.Context) -> NavLinks:
    """`{% nav_links as nav %}`: which header links the person can use (see accounts/landing.py)."""
    request = context.get("request")
    return links_for(getattr(request, "user", None) or AnonymousUser())


@register.simple_tag(takes_context=True)
def header_search(context: template.Context) -> bool:
    """`{% header_search as search %}`: whether the header shows the search box (not where the page has its own)."""
    match = getattr(context.get("request"), "resolver_match", None)
    return match is None or match.url_name not in PAGES_WITH_SEARCH_BOX
