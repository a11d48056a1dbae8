"""Reputation: what earns points, what the levels unlock, and the ledger writes.

Points are facts in the `ReputationEvent` ledger (one row per fact while it holds, idempotent by `key`); the
per-user `Reputation` row is their running total, changed in the same transaction with one UPSERT. A published
knowledge-base entry reaches `kb_entry_published` / `kb_entry_unpublished` as a contribution on
`tickets.events` (listeners.py), so the knowledge base never imports the forum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpdesk.accounts.access import is_admin
from helpdesk.accounts.models import User
from helpdesk.regions.codes import level_of

from .models import Reputation, ReputationEvent, ReputationKind

POINTS: dict[str, int] = {
    ReputationKind.ACCEPTED: 15,
    ReputationKind.UPVOTE: 5,
    ReputationKind.KB_PUBLISHED: 20,
    ReputationKind.FLAG_PENALTY: -25,
}

# What a level unlocks, in points. Forum volunteers and admins have every privilege on their forums' questions.
PRIVILEGES: dict[str, int] = {
    "vote": 10,  # one accepted answer, or two upvotes
    "comment": 25,  # on anyone's post; the asker and the answer's author may always comment on their own
    "close_duplicate": 150,
    "edit_others": 400,
}


@dataclass(frozen=True)
class Level:
    number: int
    name: Promise
    points: int


LEVELS: tuple[Level, ...] = (
    Level(0, _("Pendatang"), 0),
    Level(1, _("Warga"), PRIVILEGES["vote"]),
    Level(2, _("Penggerak"), PRIVILEGES["comment"]),
    Level(3, _("Penjaga"), PRIVILEGES["close_duplicate"]),
    Level(4, _("Sesepuh"), PRIVILEGES["edit_others"]),
)

PRIVILEGE_LABELS: dict[str, Promise] = {
    "vote": _("memberi suara"),
    "comment": _("berkomentar di mana saja"),
    "close_duplicate": _("menutup pertanyaan duplikat"),
    "edit_others": _("menyunting tulisan orang lain"),
}


def level_for(points: int) -> Level:
    current = LEVELS[0]
    for level in LEVELS:
        if points >= level.points:
            current = level
    return current


def next_level(points: int) -> Level | None:
    return next((level for level in LEVELS if level.points > points), None)


@dataclass(frozen=True)
class Standing:
    points: int
    accepted_answers: int

    @property
    def level(self) -> Level:
        return level_for(self.points)


def standing(user: Any) -> Standing:
    """The user's points, cached on the user object (one query per request at most)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Standing(0, 0)
    cached = getattr(user, "_forum_standing", None)
    if cached is None:
        row = Reputation.objects.filter(user_id=user.pk).values_list("points", "accepted_answers").first()
        cached = Standing(*row) if row else Standing(0, 0)
        user._forum_standing = cached
    return cached


def forget(user: Any) -> None:
    if hasattr(user, "_forum_standing"):
        del user._forum_standing


def has_points_for(user: Any, privilege: str) -> bool:
    return is_admin(user) or standing(user).points >= PRIVILEGES[privilege]


def is_new_account(user: Any) -> bool:
    """No reputation and no accepted answer yet: the limits for new accounts apply."""
    s = standing(user)
    return s.points < PRIVILEGES["vote"] and s.accepted_answers == 0


def kabupaten_of(code: str | None) -> str:
    if not code or level_of(code) < 2:
        return ""
    return ".".join(code.split(".")[:2])


def region_for(user: User | None, fallback_code: str | None) -> str:
    """Points count for the earner's own kabupaten when they are an operator, else the question's."""
    return kabupaten_of(getattr(user, "desa_id", None) or fallback_code)


# --- ledger writes (called inside the transaction of the change that earns or loses the points) -------------

_TABLE = Reputation._meta.db_table


def _bump(user_id: int, points: int, accepted: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (user_id, points, accepted_answers) VALUES (%s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (user_id) DO UPDATE SET points = {_TABLE}.points + excluded.points, "
            f"accepted_answers = {_TABLE}.accepted_answers + excluded.accepted_answers",
            [user_id, points, accepted],
        )


def award(
    *,
    user: User,
    kind: str,
    key: str,
    points: int | None = None,
    forum_id: int | None = None,
    region_code: str = "",
    ticket_id: int | None = None,
    message_id: int | None = None,
) -> bool:
    """Record a fact worth points; False when `key` is already recorded (nothing changes then)."""
    value = POINTS[kind] if points is None else points
    try:
        with transaction.atomic():
            ReputationEvent.objects.create(
                user=user, kind=kind, points=value, key=key[:120], forum_id=forum_id, region_code=region_code,
                ticket_id=ticket_id, message_id=message_id,
            )
    except IntegrityError:
        return False
    _bump(user.pk, value, 1 if kind == ReputationKind.ACCEPTED else 0)
    forget(user)
    return True


def retract(key: str) -> bool:
    """The fact behind `key` no longer holds: remove its points. False when there was nothing to remove."""
    row = ReputationEvent.objects.filter(key=key[:120]).values_list("pk", "user_id", "points", "kind").first()
    if row is None:
        return False
    pk, user_id, points, kind = row
    deleted, _details = ReputationEvent.objects.filter(pk=pk).delete()
    if deleted:
        _bump(user_id, -points, -1 if kind == ReputationKind.ACCEPTED else 0)
    return bool(deleted)


def rebuild(user_ids: list[int] | None = None) -> int:
    """Recompute the per-user totals from the ledger (after a restore or a manual fix)."""
    from django.db.models import Count, Q, Sum

    events = ReputationEvent.objects.all()
    if user_ids is not None:
        events = events.filter(user_id__in=user_ids)
    totals = events.values("user_id").annotate(
        points=Sum("points"), accepted=Count("pk", filter=Q(kind=ReputationKind.ACCEPTED))
    )
    with transaction.atomic():
        stale = Reputation.objects.all() if user_ids is None else Reputation.objects.filter(user_id__in=user_ids)
        stale.delete()
        Reputation.objects.bulk_create(
            [Reputation(user_id=t["user_id"], points=t["points"] or 0, accepted_answers=t["accepted"]) for t in totals],
            batch_size=1000,
        )
    return len(totals)


# --- for the knowledge-base app --------------------------------------------------------------------------------


def kb_entry_published(
    *, user: User, entry_id: int | str, forum_id: int | None = None, region_code: str = "", ticket_id: int | None = None
) -> bool:
    """Call inside the transaction that publishes a knowledge-base entry written (or answered) by `user`.
    Idempotent per entry and person."""
    return award(
        user=user, kind=ReputationKind.KB_PUBLISHED, key=f"kb:{entry_id}:{user.pk}", forum_id=forum_id,
        region_code=kabupaten_of(region_code) or region_for(user, None), ticket_id=ticket_id,
    )


def kb_entry_unpublished(*, user: User, entry_id: int | str) -> bool:
    return retract(f"kb:{entry_id}:{user.pk}")
