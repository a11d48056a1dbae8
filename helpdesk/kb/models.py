"""Knowledge-base entries, their helpful votes, the per-forum publishing setting, and the deflection log.

Behaviour lives in `lifecycle.py` (statuses), `services.py` (every write, masking included) and `access.py`
(who may do what); nothing happens in `save()`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from helpdesk.accounts.models import Forum
from helpdesk.categories.models import Category
from helpdesk.regions.models import Region
from helpdesk.tickets.models import Ticket


class EntryStatus(models.TextChoices):
    DRAFT = "draft", _("Draf")
    PUBLISHED = "published", _("Terbit")
    ARCHIVED = "archived", _("Diarsipkan")


class EntrySource(models.TextChoices):
    TICKET = "ticket", _("Dari tiket selesai")
    IMPORT = "import", _("Impor")
    MANUAL = "manual", _("Ditulis relawan")


class Entry(models.Model):
    title = models.CharField(_("judul"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, blank=True, default="", allow_unicode=False)
    question = models.TextField(_("pertanyaan"), blank=True, default="")
    question_html = models.TextField(editable=False, blank=True, default="")
    answer = models.TextField(_("jawaban"), blank=True, default="")
    answer_html = models.TextField(editable=False, blank=True, default="")
    category = models.ForeignKey(
        Category, verbose_name=_("kategori"), null=True, blank=True, on_delete=models.PROTECT, related_name="kb_entries"
    )
    tags = models.JSONField(_("label"), default=list, blank=True)
    versions = models.JSONField(_("versi OpenSID"), default=list, blank=True)

    source = models.CharField(_("asal"), max_length=10, choices=EntrySource.choices, default=EntrySource.MANUAL)
    source_ticket = models.ForeignKey(
        Ticket, verbose_name=_("tiket sumber"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="kb_entries",
    )
    origin_region = models.ForeignKey(
        Region, verbose_name=_("wilayah asal"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The forum whose coordinators approve it: the one covering the origin region (or the author's forum).
    forum = models.ForeignKey(
        Forum, verbose_name=_("forum peninjau"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="kb_entries",
    )
    external_id = models.CharField(_("ID eksternal"), max_length=100, null=True, blank=True, unique=True)

    status = models.CharField(_("status"), max_length=10, choices=EntryStatus.choices, default=EntryStatus.DRAFT)
    # A draft waiting for a coordinator; cleared by approval or by a rejection (which leaves `review_note`).
    review_requested_at = models.DateTimeField(_("diajukan"), null=True, blank=True)
    review_note = models.TextField(_("catatan peninjau"), blank=True, default="")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    helpful_yes = models.PositiveIntegerField(_("membantu"), default=0)
    helpful_no = models.PositiveIntegerField(_("tidak membantu"), default=0)
    # yes - no, kept in step with the two counters so that "most helpful" is an index scan.
    helpful_score = models.IntegerField(default=0)
    views = models.PositiveIntegerField(_("dilihat"), default=0)

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("penulis"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="kb_entries_written",
    )
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("penyunting terakhir"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    # What was masked: [{"kind", "value", "placeholder", "origin", "masked"}]. Holds the original values, so it is
    # shown only to the people who may edit or review the entry, and never indexed or served publicly.
    mask_findings = models.JSONField(default=list, blank=True, editable=False)

    solved_at = models.DateTimeField(_("diselesaikan"), null=True, blank=True)
    published_at = models.DateTimeField(_("diterbitkan"), null=True, blank=True)
    created_at = models.DateTimeField(_("dibuat"), default=timezone.now)
    updated_at = models.DateTimeField(_("diperbarui"), default=timezone.now)

    class Meta:
        verbose_name = _("entri basis pengetahuan")
        verbose_name_plural = _("entri basis pengetahuan")
        indexes = [
            # With the id as the last key, "most helpful" and "latest" are index scans even when many entries
            # tie (an import publishes thousands at the same instant with no votes yet).
            models.Index(fields=["status", "-helpful_score", "-views", "-id"], name="kb_helpful_id_idx"),
            models.Index(fields=["status", "-published_at", "-id"], name="kb_recent_id_idx"),
            models.Index(fields=["category", "status"], name="kb_category_idx"),
            models.Index(fields=["forum", "review_requested_at"], name="kb_review_idx",
                         condition=models.Q(review_requested_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/kb/{self.pk}/{self.slug or 'entri'}/"

    @property
    def is_published(self) -> bool:
        return self.status == EntryStatus.PUBLISHED

    @property
    def awaiting_review(self) -> bool:
        return self.status == EntryStatus.DRAFT and self.review_requested_at is not None


def make_slug(title: str) -> str:
    return slugify(title)[:80].strip("-") or "entri"


class EntryVote(models.Model):
    """"Apakah ini membantu?": one vote per account, or per browser session for visitors without one."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=64, blank=True, default="")
    helpful = models.BooleanField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("suara entri")
        verbose_name_plural = _("suara entri")
        constraints = [
            models.UniqueConstraint(fields=["entry", "user"], condition=models.Q(user__isnull=False),
                                    name="kb_vote_user_unique"),
            models.UniqueConstraint(fields=["entry", "session_key"], condition=models.Q(user__isnull=True),
                                    name="kb_vote_session_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}: {'ya' if self.helpful else 'tidak'}"


class ForumKbSettings(models.Model):
    """Per forum: whether entries from its trusted volunteers are published without waiting for a coordinator."""

    forum = models.OneToOneField(Forum, on_delete=models.CASCADE, related_name="kb_settings")
    auto_publish_trusted = models.BooleanField(_("terbitkan otomatis entri relawan tepercaya"), default=False)
    trusted = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("relawan tepercaya"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("pengaturan basis pengetahuan forum")
        verbose_name_plural = _("pengaturan basis pengetahuan forum")

    def __str__(self) -> str:
        return str(self.forum)


class DeflectionLog(models.Model):
    """A suggestion shown to someone writing a ticket: whether they opened it, and whether they still filed one.

    One row per (browser session, entry) while no ticket has been filed in that session; filing a ticket closes
    the session's open rows by setting `ticket`. Opened and never followed by a ticket = a deflected ticket.
    """

    class Channel(models.TextChoices):
        LIVE = "live", _("Saran saat mengetik")
        FORM = "form", _("Sebelum mengirim")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="deflections")
    session_key = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.LIVE)
    shown_count = models.PositiveIntegerField(default=1)
    shown_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    filed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("catatan saran")
        verbose_name_plural = _("catatan saran")
        constraints = [
            models.UniqueConstraint(fields=["session_key", "entry"], condition=models.Q(filed_at__isnull=True),
                                    name="kb_deflection_open_unique"),
        ]
        indexes = [models.Index(fields=["shown_at"], name="kb_deflection_time_idx")]

    def __str__(self) -> str:
        return f"{self.entry_id} @ {self.shown_at:%Y-%m-%d}"


class SearchLog(models.Model):
    """One knowledge-base search, without personal data: what was asked (masked), what it found, and whether a
    result was opened or a ticket was still filed in that session. Kept `KB_SEARCH_LOG_RETENTION_DAYS`.

    `group_key` is the query's analysed terms, sorted (search.analysis): differently worded questions with the
    same terms are one group on the coordinators' page. `user` is set only for signed-in users, never for
    anonymous ones; `session_hash` (a hash of the session key) joins a search to what the session did next.
    """

    class Channel(models.TextChoices):
        WEB = "web", _("Halaman web")
        API = "api", _("API")
        TELEGRAM = "telegram", _("Telegram")

    query = models.CharField(_("kata kunci (disamarkan)"), max_length=300)
    group_key = models.CharField(max_length=300, db_index=True)
    results = models.PositiveIntegerField(default=0)
    backend = models.CharField(max_length=16, default="database")
    fallback = models.BooleanField(default=False)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    session_hash = models.CharField(max_length=64, blank=True, default="")
    opened_entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(null=True, blank=True)
    ticket_filed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("catatan pencarian")
        verbose_name_plural = _("catatan pencarian")
        indexes = [
            models.Index(fields=["created_at"], name="kb_searchlog_time_idx"),
            models.Index(fields=["session_hash", "created_at"], name="kb_searchlog_session_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.query} @ {self.created_at:%Y-%m-%d}"


class SearchJudgement(models.Model):
    """A coordinator's verdict: this entry is the right answer for the queries of one group. Judged queries feed
    the search evaluation (`kb_export_judged`, `make search-eval`)."""

    group_key = models.CharField(max_length=300)
    query = models.CharField(_("kata kunci"), max_length=300)
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="+")
    judged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    judged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("jawaban yang dinilai")
        verbose_name_plural = _("jawaban yang dinilai")
        constraints = [models.UniqueConstraint(fields=["group_key", "entry"], name="kb_judgement_unique")]

    def __str__(self) -> str:
        return f"{self.query} -> {self.entry_id}"
