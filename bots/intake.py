"""Inbound updates: stored once by `update_id`, applied once, whichever way they came in.

`receive()` inserts the update (a duplicate `update_id` from a webhook retry or a re-polled batch is a
no-op). `apply()` marks it applied with a compare-and-set UPDATE and runs the handlers in the same
transaction: a crash rolls both back, and the next `apply()` runs it again, once. A failing handler is
retried a few times (`apply_pending`, every 30 s in the worker and at each poll), then the update is parked
as `failed` in the admin. Long polling and the webhook both go through `receive_and_apply()`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from helpdesk.core.scheduler import periodic

from . import dispatch, handlers
from .faults import crash_point
from .models import TelegramUpdate

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
KEEP_UPDATES = timedelta(days=30)  # far longer than Telegram keeps re-delivering (24 h)
State = TelegramUpdate.State


BIGINT_MAX = 2**63 - 1  # update, chat and user ids are stored in 64-bit columns


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -BIGINT_MAX <= value <= BIGINT_MAX


def _peek(payload: dict[str, Any]) -> tuple[str, int | None, int | None]:
    """Kind, chat id and sender id, for the admin list; any odd shape just gives None."""

    def obj(value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    kind = next((k for k in payload if k != "update_id"), "")
    body = obj(payload.get(kind))
    chat = obj(body.get("chat")) or obj(obj(body.get("message")).get("chat"))
    user = obj(body.get("from"))
    chat_id = chat.get("id") if _is_id(chat.get("id")) else None
    user_id = user.get("id") if _is_id(user.get("id")) else None
    return str(kind)[:40], chat_id, user_id


def receive(payload: Any, *, source: str) -> TelegramUpdate | None:
    """Store an update; None if it is not an update at all, or if its update_id was stored before."""
    if not isinstance(payload, dict) or not _is_id(payload.get("update_id")) or payload["update_id"] < 0:
        log.warning("telegram %s: not an update, ignored: %.200r", source, payload)
        return None
    kind, chat_id, user_id = _peek(payload)
    row = TelegramUpdate(update_id=payload["update_id"], payload=payload, source=source, kind=kind,
                         chat_id=chat_id, from_user_id=user_id)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        log.info("telegram %s: update %s seen before, ignored", source, payload["update_id"])
        return None
    return row


class _Later(Exception):
    """A handler's NotYet, raised out of the transaction so that its claim on the update is rolled back."""


def apply(update_id: int, *, replayed: bool = False) -> str | None:
    """Apply a received update once. Returns its new state, or None if it was not waiting to be applied."""
    try:
        with transaction.atomic():
            won = TelegramUpdate.objects.filter(update_id=update_id, state=State.RECEIVED).update(
                state=State.APPLIED, applied_at=timezone.now(), attempts=F("attempts") + 1
            )
            if not won:
                return None
            payload = TelegramUpdate.objects.values_list("payload", flat=True).get(update_id=update_id)
            crash_point("apply_update")
            try:
                with transaction.atomic():  # a held update leaves nothing of its handler behind
                    outcome = dispatch.dispatch(payload, update_id, replayed=replayed)
            except handlers.HoldUpdate as hold:
                outcome = dispatch.Outcome(State.HELD, hold.reason or "held", hold.held_for)
                if hold.after is not None:
                    hold.after()
            except handlers.NotYet as wait:
                raise _Later(str(wait)) from None
            TelegramUpdate.objects.filter(update_id=update_id).update(
                state=outcome.state, note=outcome.note[:200], held_for=outcome.held_for[:80], last_error=""
            )
            return outcome.state
    except _Later as later:
        # Not an attempt used up: the wait is bounded by the handler (e.g. two minutes for a bot message's record).
        log.info("telegram update %s: applied again shortly: %s", update_id, later)
        TelegramUpdate.objects.filter(update_id=update_id, state=State.RECEIVED).update(last_error=str(later)[:4000])
        return None  # still waiting
    except Exception as exc:
        log.exception("telegram update %s: applying failed", update_id)
        row = TelegramUpdate.objects.filter(update_id=update_id, state=State.RECEIVED).first()
        if row is None:
            return None
        state = State.FAILED if row.attempts + 1 >= MAX_ATTEMPTS else State.RECEIVED
        TelegramUpdate.objects.filter(pk=row.pk, state=State.RECEIVED).update(
            state=state, attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:4000]
        )
        return state


def receive_and_apply(payload: Any, *, source: str) -> str:
    row = receive(payload, source=source)
    if row is None:
        return "duplicate_or_invalid"
    return apply(row.update_id) or "not_applied"


def apply_pending(*, older_than: timedelta = timedelta(), limit: int = 500) -> int:
    """Apply stored updates that are still waiting (after a crash, or a handler that failed), oldest first."""
    cutoff = timezone.now() - older_than
    waiting = list(
        TelegramUpdate.objects.filter(state=State.RECEIVED, received_at__lte=cutoff)
        .order_by("update_id")
        .values_list("update_id", flat=True)[:limit]
    )
    return sum(1 for update_id in waiting if apply(update_id))


def release_held(held_for: str, *, kinds: list[str] | None = None, update_ids: list[int] | None = None) -> int:
    """Apply the updates a handler held for `held_for` (e.g. a volunteer who has now linked their account), only
    those of `kinds` (e.g. button presses) or with `update_ids` when given."""
    held = TelegramUpdate.objects.filter(state=State.HELD, held_for=held_for)
    if kinds is not None:
        held = held.filter(kind__in=kinds)
    if update_ids is not None:
        held = held.filter(update_id__in=update_ids)
    ids = list(held.order_by("update_id").values_list("update_id", flat=True))
    TelegramUpdate.objects.filter(update_id__in=ids, state=State.HELD).update(state=State.RECEIVED, held_for="")
    return sum(1 for update_id in ids if apply(update_id, replayed=True))


def discard_held(held_for: str, update_ids: list[int], note: str) -> int:
    """Drop held updates without applying them (their sender chose not to send them)."""
    return TelegramUpdate.objects.filter(state=State.HELD, held_for=held_for, update_id__in=update_ids).update(
        state=State.IGNORED, held_for="", note=note[:200])


def retry_failed(update_ids: list[int]) -> int:
    """Admin action: give failed updates a fresh set of attempts."""
    return TelegramUpdate.objects.filter(update_id__in=update_ids, state=State.FAILED).update(
        state=State.RECEIVED, attempts=0
    )


@periodic("telegram.apply_pending", every=timedelta(seconds=30))
def apply_pending_job() -> None:
    # Webhook mode has no long-running bridge: the worker picks up what a crashed request left behind.
    apply_pending(older_than=timedelta(seconds=10))


@periodic("telegram.purge", every=timedelta(hours=6))
def purge_updates() -> None:
    TelegramUpdate.objects.filter(
        state__in=[State.APPLIED, State.IGNORED], received_at__lt=timezone.now() - KEEP_UPDATES
    ).delete()
