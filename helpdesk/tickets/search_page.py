"""The site's one search box (issue 15 item 7), the same on the home page, the knowledge base, the community
forum and in the header: `/cari/?q=`.

Knowledge-base entries and public community questions come back together, best first, from one query to the
search backend (the database or the engine, whichever `SEARCH_URL` chose) over the doc types that the apps
above registered in `extensions.search_kinds`; each kind confirms which of its hits may still be shown. Team
members (volunteers, coordinators, admins) also find the tickets they may see, through the same door as every
ticket list (`selectors.ticket_list`, built on `access.visible_ticket_branches`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from helpdesk.accounts.access import (
    AnyUser,
    forums_of,
    is_admin,
    is_pending_operator,
    is_verified_operator,
    signed_in,
)
from helpdesk.accounts.throttling import client_ip
from helpdesk.core import ratelimit
from helpdesk.core.errors import RateLimited
from helpdesk.core.refusals import person_message
from search import SearchQuery, SearchQueryError, get_backend

from . import selectors
from .extensions import search_kinds
from .models import Ticket

MAX_Q_CHARS = 200
LIMIT = 20
TICKET_LIMIT = 10


@dataclass(frozen=True)
class Found:
    kind: str  # the doc type: "kb", "question"
    label: str
    title_html: str  # escaped, with <mark> around the matched words
    snippet: str  # escaped likewise
    url: str


@dataclass
class SiteResults:
    hits: list[Found] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    fallback: bool = False

    @property
    def empty(self) -> bool:
        return not self.hits and not self.tickets


def finds_tickets(user: AnyUser) -> bool:
    return signed_in(user) and (bool(forums_of(user)) or is_admin(user))


def site_search(request: HttpRequest, text: str) -> SiteResults:
    """Raises search.SearchQueryError for text that cannot be searched."""
    kinds = dict(search_kinds.items())
    results = get_backend().search(SearchQuery(text=text, doc_types=tuple(sorted(kinds)), limit=LIMIT))
    ids: dict[str, list[int]] = {}
    for hit in results.hits:
        if hit.doc_type in kinds and hit.doc_id.isdigit():
            ids.setdefault(hit.doc_type, []).append(int(hit.doc_id))
    visible = {kind: kinds[kind].visible(found) for kind, found in ids.items()}
    found = SiteResults(fallback=results.fallback)
    for hit in results.hits:
        if hit.doc_type in visible and hit.doc_id.isdigit() and int(hit.doc_id) in visible[hit.doc_type]:
            found.hits.append(Found(hit.doc_type, str(kinds[hit.doc_type].label), hit.title_html, hit.snippet, hit.url))
    for kind, search_kind in kinds.items():
        suffix = search_kind.searched(request, text, found=len([h for h in found.hits if h.kind == kind]),
                                      backend=results.backend, fallback=results.fallback)
        if suffix:
            found.hits = [Found(h.kind, h.label, h.title_html, h.snippet, f"{h.url}?{suffix}") if h.kind == kind
                          else h for h in found.hits]
    if finds_tickets(request.user):
        scope = "" if is_admin(request.user) else "forums"
        filters = selectors.TicketFilters(q=text, scope=scope)
        found.tickets, _next = selectors.ticket_list(user=request.user, filters=filters, limit=TICKET_LIMIT)
    return found


def next_steps(user: AnyUser) -> list[tuple[str, str]]:
    """With no results: where to ask instead, for whoever can; a visitor is asked to sign in first."""
    ask, report = reverse("forum-ask"), reverse("ticket-new")
    if not signed_in(user):
        login = reverse("accounts:login")
        return [(_("Masuk untuk bertanya di forum"), f"{login}?{urlencode({'next': ask})}"),
                (_("Masuk untuk melaporkan masalah"), f"{login}?{urlencode({'next': report})}")]
    steps = []
    if is_verified_operator(user):
        steps.append((_("Tanya di forum"), ask))
    if is_verified_operator(user) or is_pending_operator(user):
        steps.append((_("Laporkan masalah"), report))
    return steps


def _check_rate(request: HttpRequest) -> None:
    """The same limits as the knowledge-base search it includes: per account, or per (hashed) address."""
    if signed_in(request.user):
        ratelimit.check("kb_search_user", request.user.pk)
    else:
        ratelimit.check("kb_search_anon", hashlib.sha256(client_ip(request).encode()).hexdigest()[:24])


def search_page(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()[:MAX_Q_CHARS]
    context: dict[str, Any] = {"q": q, "finds_tickets": finds_tickets(request.user)}
    status = 200
    if q:
        try:
            _check_rate(request)
            context["results"] = site_search(request, q)
        except RateLimited as exc:
            context["error"], status = person_message(exc), 429
        except SearchQueryError as exc:
            context["error"], status = str(exc), 400
        else:
            if context["results"].empty:
                context["next_steps"] = next_steps(request.user)
    response = render(request, "tickets/search.html", context, status=status)
    if status == 429:
        response["Retry-After"] = "60"
    return response
