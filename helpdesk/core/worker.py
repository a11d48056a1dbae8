"""The background worker loop: periodic jobs, outbox dispatch and a heartbeat, stopping cleanly on SIGTERM."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from . import scheduler
from .models import WorkerHeartbeat
from .outbox import Dispatcher

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_SECONDS = 5.0


class Worker:
    def __init__(self, *, worker_id: str | None = None, poll_seconds: float | None = None) -> None:
        self.dispatcher = Dispatcher(worker_id)
        self.poll_seconds = poll_seconds if poll_seconds is not None else settings.TASKS["POLL_SECONDS"]
        self.stop_event = threading.Event()
        self._last_beat = 0.0

    @property
    def worker_id(self) -> str:
        return self.dispatcher.worker_id

    def beat(self) -> None:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"hostname": socket.gethostname(), "pid": os.getpid(), "seen_at": timezone.now()},
        )
        self._last_beat = time.monotonic()

    def tick(self) -> int:
        if time.monotonic() - self._last_beat >= HEARTBEAT_EVERY_SECONDS:
            self.beat()
        scheduler.enqueue_due()
        return self.dispatcher.run_due()

    def run_forever(self) -> None:
        scheduler.sync_schedules()
        self.beat()
        log.info("worker %s started", self.worker_id)
        while not self.stop_event.is_set():
            try:
                ran = self.tick()
            except Exception:
                # A database that is briefly down must not kill the worker: wait and try again.
                log.exception("worker tick failed")
                close_old_connections()
                ran = 0
            if not ran:
                self.stop_event.wait(self.poll_seconds)
        WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        log.info("worker %s stopped", self.worker_id)
