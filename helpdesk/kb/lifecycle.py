"""The life of a knowledge-base entry, as data:

    draft ──submit──▶ review ──approve──▶ published ──archive──▶ archived ──restore──▶ draft
      │                 │ └──reject──▶ draft                                  ▲
      └────publish──────┴──────────────▶ published (a reviewer, or a trusted volunteer with auto-publish)
    any of draft/review/published ──archive──▶ archived

`review` is stored as status `draft` with `review_requested_at` set (the contract's statuses stay draft,
published, archived). An action that is not in the table raises `IllegalTransition` (HTTP 409).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from helpdesk.core.errors import DomainError

from .models import Entry, EntryStatus

DRAFT, REVIEW, PUBLISHED, ARCHIVED = "draft", "review", "published", "archived"

TRANSITIONS: dict[str, dict[str, str]] = {
    "submit": {DRAFT: REVIEW},
    "publish": {DRAFT: PUBLISHED, REVIEW: PUBLISHED},
    "approve": {REVIEW: PUBLISHED},
    "reject": {REVIEW: DRAFT},
    "archive": {DRAFT: ARCHIVED, REVIEW: ARCHIVED, PUBLISHED: ARCHIVED},
    "restore": {ARCHIVED: DRAFT},
}

_LABELS = {
    "submit": "mengajukan", "publish": "menerbitkan", "approve": "menyetujui", "reject": "menolak",
    "archive": "mengarsipkan", "restore": "memulihkan",
}
_STATE_LABELS = {DRAFT: "draf", REVIEW: "menunggu persetujuan", PUBLISHED: "terbit", ARCHIVED: "diarsipkan"}


class IllegalTransition(DomainError):
    code = "illegal_transition"


def state_of(entry: Entry) -> str:
    if entry.status == EntryStatus.DRAFT and entry.review_requested_at is not None:
        return REVIEW
    return str(entry.status)


def allowed(action: str, entry: Entry) -> bool:
    return state_of(entry) in TRANSITIONS.get(action, {})


def next_state(action: str, entry: Entry) -> str:
    table = TRANSITIONS.get(action)
    if table is None:
        raise ValueError(f"unknown entry action {action!r}")
    state = state_of(entry)
    if state not in table:
        raise IllegalTransition(
            _("Tidak bisa %(action)s entri yang berstatus %(state)s.")
            % {"action": _LABELS[action], "state": _STATE_LABELS.get(state, state)}
        )
    return table[state]


def apply_state(entry: Entry, state: str) -> None:
    """Set the stored fields for a lifecycle state (the caller saves)."""
    entry.status = EntryStatus.DRAFT if state == REVIEW else state
    if state != REVIEW:
        entry.review_requested_at = None
