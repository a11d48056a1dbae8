"""The tickets app's extension points: where the apps above it (the knowledge base, the community forum, the
Telegram bridge) add behaviour without tickets importing them, and how those peers reach each other without
importing one another. Each is a `core.registry.Registry`; who registers what is listed in docs/tickets.md
("Extension points"). Register from your app's `hooks.py` (imported by its AppConfig.ready()).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.functional import Promise

from helpdesk.accounts.models import User
from helpdesk.core.registry import Registry

from .models import Ticket

# --- ticket events (events.py) ------------------------------------------------------------------------------


class Listener(Protocol):
    """Called as `listener(kind, ticket, **details)` inside the service's transaction, for each kind of
    `events.py`: "ticket_created", "message_created" (details: message), "message_edited" (details: message,
    previous), "ticket_updated" (details: changes, actor). A listener records its work (an event-log row, a notification, an outbox job); nothing leaves
    before commit."""

    def __call__(self, kind: str, ticket: Ticket, **details: Any) -> None: ...


listeners: Registry[Listener] = Registry("tickets.listeners")


# --- access rules (access.py) ---------------------------------------------------------------------------------


class DuplicateRule(Protocol):
    """Whether this signed-in person, who may not triage the ticket, may still mark it a duplicate."""

    def __call__(self, user: User, ticket: Ticket) -> bool: ...


class PostRule(Protocol):
    """Before a ticket or a public reply is written: raise (PermissionDenied, ValidationError, Throttled) to
    refuse it, return to let it through."""

    def __call__(self, user: User | AnonymousUser, ticket: Ticket, text: str) -> None: ...


duplicate_rules: Registry[DuplicateRule] = Registry("tickets.duplicate_rules")
post_rules: Registry[PostRule] = Registry("tickets.post_rules")


# --- the web pages (views.py) ---------------------------------------------------------------------------------

# Template names included on the ticket page with `ticket` in the context, keyed by the app that adds them.
ticket_panels: Registry[str] = Registry("tickets.ticket_panels")


class TicketFormStep(Protocol):
    """Another app's part in filing a ticket on the web (the knowledge base's "is this the answer?" step).

    `before(request, data)` may return a context dict: the form is shown again with it as `presubmit` (its
    `template` is included inside the form) instead of creating the ticket; steps are skipped once the form
    carries `confirm`. `after(request, ticket)` runs once the ticket exists."""

    def before(self, request: HttpRequest, data: dict[str, Any]) -> dict[str, Any] | None: ...

    def after(self, request: HttpRequest, ticket: Ticket) -> None: ...


ticket_form_steps: Registry[TicketFormStep] = Registry("tickets.ticket_form_steps")


# --- between the peers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A written answer that may spare someone a ticket: a title, a link (absolute or site-relative) and a
    short plain-text excerpt."""

    title: str
    url: str
    snippet: str


class AnswerFinder(Protocol):
    """Finds written answers to a question before a ticket is filed (the knowledge base registers one; the
    Telegram bridge's /cari and /baru ask it)."""

    def search(self, text: str, *, limit: int) -> list[Answer]:
        """Best first. Raises search.SearchQueryError for text that cannot be searched."""
        ...

    def suggest(self, text: str, *, limit: int) -> list[Answer]:
        """Answers similar to a ticket being written; never fails (nothing when the search is down)."""
        ...


answer_finders: Registry[AnswerFinder] = Registry("tickets.answer_finders")


@dataclass(frozen=True)
class Contribution:
    """Help someone wrote for others beyond a ticket's thread: today a published knowledge-base entry, credited
    to its author and to whoever wrote the accepted answer it came from (the community forum turns it into
    reputation). Listeners act once per kind, piece and person: crediting or withdrawing twice is harmless."""

    kind: str  # "kb_entry"
    piece_id: int
    user: User
    forum_id: int | None = None
    region_code: str = ""
    ticket_id: int | None = None


class ContributionListener(Protocol):
    """Called inside the transaction that publishes (`withdrawn=False`) or unpublishes the contribution."""

    def __call__(self, contribution: Contribution, *, withdrawn: bool) -> None: ...


contribution_listeners: Registry[ContributionListener] = Registry("tickets.contribution_listeners")



# --- the one search box (search_page.py) ----------------------------------------------------------------------


class SearchKind(Protocol):
    """A kind of public document found by the site's one search box, keyed by its `doc_type` in search/: the
    knowledge base registers "kb", the community forum "question". The page asks the search backend for all the
    kinds at once (one ranked list) and each kind for which of its hits may still be shown."""

    @property
    def label(self) -> Promise:
        """What a hit of this kind is called on the results page ("Basis pengetahuan", "Forum")."""
        ...

    def visible(self, ids: list[int]) -> set[int]:
        """Which of these documents anyone may see now (published, still public)."""
        ...

    def searched(self, request: HttpRequest, text: str, *, found: int, backend: str, fallback: bool) -> str:
        """Told once per search of the first page (the knowledge base logs it); returns a query string
        (without "?") to put on the links to this kind's hits, or ""."""
        ...


search_kinds: Registry[SearchKind] = Registry("tickets.search_kinds")
