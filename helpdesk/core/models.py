"""The transactional outbox, the periodic-job table and worker heartbeats.

The outbox is the project's task queue: a row is written in the same transaction as the change that needs
follow-up work, and workers claim rows with a compare-and-set UPDATE (no SELECT ... FOR UPDATE, which SQLite
lacks). See docs/tasks.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("menunggu")
        RUNNING = "running", _("berjalan")
        DONE = "done", _("selesai")
        PARKED = "parked", _("diparkir (gagal terus)")

    kind = models.CharField(_("jenis"), max_length=80, db_index=True)
    key = models.CharField(_("kunci idempotensi"), max_length=255, unique=True)
    payload = models.JSONField(_("muatan"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # Jobs that must keep their order (messages to one Telegram chat) share an ordering key; a worker
    # never runs a job while an older unfinished one with the same ordering key exists.
    ordering_key = models.CharField(_("kunci urutan"), max_length=120, blank=True, default="")
    attempts = models.PositiveIntegerField(_("percobaan"), default=0)
    max_attempts = models.PositiveIntegerField(_("batas percobaan"), default=8)
    run_after = models.DateTimeField(_("jalankan setelah"), default=timezone.now)
    locked_by = models.CharField(_("dikunci oleh"), max_length=120, blank=True, default="")
    locked_until = models.DateTimeField(_("kunci berlaku sampai"), null=True, blank=True)
    last_error = models.TextField(_("galat terakhir"), blank=True, default="")
    created_at = models.DateTimeField(_("dibuat"), default=timezone.now)
    finished_at = models.DateTimeField(_("selesai pada"), null=True, blank=True)
    # The id of the request that enqueued the job (core/logs.py): the worker logs the job's lines under it.
    request_id = models.CharField(_("id permintaan"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("pekerjaan outbox")
        verbose_name_plural = _("pekerjaan outbox")
        indexes = [
            models.Index(fields=["status", "run_after"], name="outbox_due_idx"),
            models.Index(fields=["ordering_key", "id"], name="outbox_order_idx"),
            # The week-old purge and the metrics' "done in the last minute" read finished jobs by time.
            models.Index(fields=["finished_at"], name="outbox_finished_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} [{self.status}] {self.key}"


class PeriodicJob(models.Model):
    """One row per registered periodic job; `next_run_at` is advanced with compare-and-set."""

    name = models.CharField(_("nama"), max_length=80, unique=True)
    interval_seconds = models.PositiveIntegerField(_("interval (detik)"))
    next_run_at = models.DateTimeField(_("jalan berikutnya"))
    last_run_at = models.DateTimeField(_("jalan terakhir"), null=True, blank=True)
    enabled = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("pekerjaan berkala")
        verbose_name_plural = _("pekerjaan berkala")

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    worker_id = models.CharField(max_length=120, unique=True)
    hostname = models.CharField(max_length=120)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("detak pekerja")
        verbose_name_plural = _("detak pekerja")

    def __str__(self) -> str:
        return self.worker_id


class RateCounter(models.Model):
    """A fixed-window counter for per-user rate limits, incremented with one UPSERT."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("penghitung batas laju")
        verbose_name_plural = _("penghitung batas laju")

    def __str__(self) -> str:
        return f"{self.key}={self.count}"


class IdempotencyKey(models.Model):
    """The first answer to a create request that carried an `Idempotency-Key` (or a web form's one-time token).

    Written in the same transaction as what the request created, so a key exists exactly when its creation does.
    Kept for 24 hours (`core.purge_idempotency_keys`). See `core/idempotency.py`.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the method, path and body
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]
        verbose_name = _("kunci idempoten")
        verbose_name_plural = _("kunci idempoten")

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
