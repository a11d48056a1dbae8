"""Long polling: one poller per bot token, holding a lease row; the offset lives in the same row.

Each round stores the batch of updates and the next offset in one transaction, then applies them. A crash
after the commit leaves stored updates that the next start applies; a crash before it means Telegram sends
the batch again, and `update_id` is unique, so nothing is lost or applied twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
import warnings
from datetime import timedelta
from typing import Any

from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone
from telegram import Bot
from telegram.error import Conflict, TelegramError
from telegram.warnings import PTBUserWarning

from . import config, intake
from .builtin import publish_commands
from .client import BotClient, get_client
from .faults import crash_point
from .models import BridgeState, TelegramUpdate

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]


async def _raw_updates(bot: Bot, params: dict[str, object], read_timeout: float) -> Any:
    # do_api_request on purpose: updates are stored as Telegram sent them, not as python-telegram-bot's
    # objects serialise back, so fields the library does not know yet are kept. PTB warns about that.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)
        return await bot.do_api_request("getUpdates", api_kwargs=params, read_timeout=read_timeout)


class Poller:
    def __init__(self, *, poll_timeout: int = 25, lease_seconds: int | None = None, wait_seconds: float = 5.0,
                 client: BotClient | None = None, stop_event: threading.Event | None = None) -> None:
        self.name = f"poller:{config.bot_key()}"
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.poll_timeout = poll_timeout
        self.lease = timedelta(seconds=lease_seconds or poll_timeout + 35)
        self.wait_seconds = wait_seconds
        self.client = client
        self.stop_event = stop_event or threading.Event()
        self.holding = False

    # ----- the lease ---------------------------------------------------------------------------------------
    def acquire(self) -> bool:
        """Take or renew the lease; False while another live poller holds it."""
        now = timezone.now()
        BridgeState.objects.bulk_create([BridgeState(name=self.name)], ignore_conflicts=True)
        free = Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_holder=self.holder)
        won = BridgeState.objects.filter(free, name=self.name).update(
            lease_holder=self.holder, lease_until=now + self.lease, updated_at=now
        )
        self.holding = bool(won)
        return self.holding

    def release(self) -> None:
        BridgeState.objects.filter(name=self.name, lease_holder=self.holder).update(lease_until=None, lease_holder="")
        self.holding = False

    def offset(self) -> int:
        return int(BridgeState.objects.filter(name=self.name).values_list("offset", flat=True).first() or 0)

    # ----- polling -----------------------------------------------------------------------------------------
    def poll_once(self) -> int:
        """One getUpdates round: store the batch with the new offset, then apply it. Returns the batch size."""
        client = self.client or get_client()
        BridgeState.objects.bulk_create([BridgeState(name=self.name)], ignore_conflicts=True)
        offset = self.offset()
        params: dict[str, object] = {"timeout": self.poll_timeout, "allowed_updates": ALLOWED_UPDATES}
        if offset:
            params["offset"] = offset
        batch = client.run(lambda bot: _raw_updates(bot, params, self.poll_timeout + 15))
        if not batch:
            return 0
        stored: list[int] = []
        with transaction.atomic():
            for payload in batch:
                row = intake.receive(payload, source=TelegramUpdate.Source.POLLING)
                if row is not None:
                    stored.append(row.update_id)
            ids = [p["update_id"] for p in batch if isinstance(p, dict) and isinstance(p.get("update_id"), int)]
            if ids:
                BridgeState.objects.filter(name=self.name).update(offset=max(ids) + 1, updated_at=timezone.now())
        crash_point("after_store")
        for update_id in stored:
            intake.apply(update_id)
        return len(batch)

    def run(self) -> None:
        """Wait for the lease, then poll until stopped; a poller that loses its lease goes back to waiting."""
        failures = 0
        started = False
        waiting_logged = False
        while not self.stop_event.is_set():
            try:
                if not self.acquire():
                    started = False
                    if not waiting_logged:
                        log.info("telegram poller %s: another poller holds the lease; waiting", self.holder)
                        waiting_logged = True
                    self.stop_event.wait(self.wait_seconds)
                    continue
                if not started:
                    self._start()
                    started, waiting_logged = True, False
                self.poll_once()
                failures = 0
            except Conflict as exc:
                failures += 1
                log.warning("telegram poller: %s", exc.message)
                self.stop_event.wait(min(30.0, self.wait_seconds * failures))
            except TelegramError as exc:
                failures += 1
                log.warning("telegram poller: %s (retrying)", exc)
                self.stop_event.wait(min(30.0, 0.5 * 2**failures))
            except Exception:
                failures += 1
                log.exception("telegram poller: round failed")
                close_old_connections()
                self.stop_event.wait(min(30.0, 0.5 * 2**failures))
        if self.holding:
            self.release()
        log.info("telegram poller %s stopped", self.holder)

    def _start(self) -> None:
        client = self.client or get_client()
        client.run(lambda bot: bot.delete_webhook(drop_pending_updates=False))
        try:
            publish_commands()
        except Exception:  # the menu is a convenience: a bridge that cannot publish it still polls
            log.warning("telegram poller: the command menu could not be published", exc_info=True)
        applied = intake.apply_pending()
        if applied:
            log.info("telegram poller: applied %s stored updates left from before", applied)
        log.info("telegram poller %s holds the lease and polls", self.holder)
