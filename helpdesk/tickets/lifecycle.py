"""The ticket state machine: every allowed transition is data here, and nowhere else.

    baru → ditangani → menunggu ↔ ditangani → selesai → ditutup
    selesai/ditutup → ditangani (reopen, or any reply to a closed ticket)
    baru/ditangani/menunggu → duplikat

Services call `next_status(...)`; an action not in the table raises `IllegalTransition` (HTTP 409).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.core.errors import DomainError

from .models import Status

B, D, M, S, T, X = Status.BARU, Status.DITANGANI, Status.MENUNGGU, Status.SELESAI, Status.DITUTUP, Status.DUPLIKAT


class IllegalTransition(DomainError):
    code = "illegal_transition"


# action → {source status → target}; KEEP means the action is allowed and leaves the status unchanged.
KEEP = None
TRANSITIONS: dict[str, dict[str, str | None]] = {
    "claim": {B: D, D: KEEP, M: KEEP},
    # A volunteer's public reply: the ball is now in the operator's court. A reply to a closed ticket reopens it.
    "volunteer_reply": {B: M, D: M, M: M, S: KEEP, T: D, X: KEEP},
    # The operator's reply (or anyone else's on a public question) hands the ticket back to the volunteers.
    "operator_reply": {B: KEEP, D: KEEP, M: D, S: D, T: D, X: KEEP},
    # Someone else's answer on a public question: it doesn't move the ticket, except out of ditutup.
    "community_reply": {B: KEEP, D: KEEP, M: KEEP, S: KEEP, T: D, X: KEEP},
    "internal_note": {B: KEEP, D: KEEP, M: KEEP, S: KEEP, T: KEEP, X: KEEP},
    "resolve": {D: S, M: S},
    # The asker (or a volunteer) accepts an answer on a public question. A community answer can solve a question
    # no volunteer has claimed, and a solved question may get a better answer accepted instead.
    "accept": {B: S, D: S, M: S, S: KEEP},
    "close": {B: T, D: T, M: T, S: T},
    "auto_close": {S: T},
    "reopen": {S: D, T: D},
    "duplicate": {B: X, D: X, M: X},
}

_ACTION_LABELS = {
    "claim": gettext_lazy("mengambil"),
    "volunteer_reply": gettext_lazy("membalas"),
    "operator_reply": gettext_lazy("membalas"),
    "community_reply": gettext_lazy("membalas"),
    "internal_note": gettext_lazy("menambah catatan"),
    "resolve": gettext_lazy("menyelesaikan"),
    "accept": gettext_lazy("menerima jawaban pada"),
    "close": gettext_lazy("menutup"),
    "auto_close": gettext_lazy("menutup"),
    "reopen": gettext_lazy("membuka kembali"),
    "duplicate": gettext_lazy("menandai duplikat"),
}


def allowed(action: str, status: str) -> bool:
    return status in TRANSITIONS.get(action, {})


def next_status(action: str, status: str) -> str:
    """The status after `action` from `status`, or IllegalTransition with a message in Bahasa Indonesia."""
    table = TRANSITIONS.get(action)
    if table is None:
        raise ValueError(f"unknown ticket action {action!r}")
    if status not in table:
        label = Status(status).label if status in Status.values else status
        raise IllegalTransition(
            _("Tidak bisa %(action)s tiket yang berstatus %(status)s.")
            % {"action": str(_ACTION_LABELS[action]), "status": str(label).lower()}
        )
    target = table[status]
    return status if target is None else target
