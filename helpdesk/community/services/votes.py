"""Votes on answers and questions: the one vote per person, the recount and the reputation it earns."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.models import User
from helpdesk.core.errors import DomainError
from helpdesk.tickets.models import (
    Message,
    Ticket,
)

from .. import access, reputation
from ..models import (
    PostScore,
    ReputationKind,
    Vote,
)
from .common import (
    MAX_REASON_CHARS,
    clean,
    rate,
)


@dataclass(frozen=True)
class Score:
    message_id: int
    score: int
    upvotes: int
    downvotes: int
    mine: int  # the caller's vote now: 1, -1 or 0


def _recount(message: Message) -> PostScore:
    counts = Vote.objects.filter(message=message).aggregate(
        up=Count("pk", filter=Q(value=Vote.Value.UP)), down=Count("pk", filter=Q(value=Vote.Value.DOWN))
    )
    up, down = counts["up"], counts["down"]
    score, _created = PostScore.objects.update_or_create(
        message=message, defaults={"score": up - down, "upvotes": up, "downvotes": down}
    )
    return score


def _upvote_key(message: Message, voter: User) -> str:
    return f"upvote:{message.pk}:{voter.pk}"


def _credit_upvote(message: Message, ticket: Ticket, voter: User, up: bool) -> None:
    if message.author is None:
        return
    if up:
        reputation.award(
            user=message.author, kind=ReputationKind.UPVOTE, key=_upvote_key(message, voter),
            forum_id=ticket.forum_id, region_code=reputation.region_for(message.author, ticket.desa_id),
            ticket_id=ticket.pk, message_id=message.pk,
        )
    else:
        reputation.retract(_upvote_key(message, voter))


def vote_cast(*, voter: User, message: Message, value: int, reason: str = "") -> Score:
    """One vote per person per answer, which they may change. Votes on one answer are serialised by a row lock
    on the answer, and the counts are recomputed from the votes, so they are exact under any concurrency."""
    if value not in (Vote.Value.UP, Vote.Value.DOWN):
        raise ValidationError({"value": [_("Nilai suara harus 1 atau -1.")]})
    reason = (reason or "").strip()
    if value == Vote.Value.DOWN and not reason:
        raise ValidationError({"reason": [_("Tuliskan alasan suara turun, supaya penulis bisa memperbaiki jawabannya.")]})
    reason = clean("reason", reason, required=False, max_chars=MAX_REASON_CHARS)
    rate(voter, "forum_vote")
    with transaction.atomic():
        locked = Message.objects.select_for_update(of=("self",)).select_related("author").get(pk=message.pk)
        ticket = Ticket.objects.select_related("forum").get(pk=locked.ticket_id)
        access.check_vote(voter, locked, ticket)
        existing = Vote.objects.filter(message=locked, voter=voter).first()
        if existing is not None and existing.value == value:
            raise DomainError(_("Anda sudah memberi suara ini."), code="already_voted")
        now = timezone.now()
        if existing is None:
            Vote.objects.create(message=locked, voter=voter, value=value, reason=reason, created_at=now, updated_at=now)
        else:
            existing.value, existing.reason, existing.updated_at = value, reason, now
            existing.save(update_fields=["value", "reason", "updated_at"])
        score = _recount(locked)
        _credit_upvote(locked, ticket, voter, value == Vote.Value.UP)
    return Score(locked.pk, score.score, score.upvotes, score.downvotes, value)


def vote_retract(*, voter: User, message: Message) -> Score:
    with transaction.atomic():
        locked = Message.objects.select_for_update(of=("self",)).select_related("author").get(pk=message.pk)
        ticket = Ticket.objects.get(pk=locked.ticket_id)
        deleted, _details = Vote.objects.filter(message=locked, voter=voter).delete()
        if not deleted:
            raise DomainError(_("Anda belum memberi suara pada jawaban ini."), code="no_vote")
        score = _recount(locked)
        _credit_upvote(locked, ticket, voter, False)
    return Score(locked.pk, score.score, score.upvotes, score.downvotes, 0)
