"""The community forum's own records. A public question IS a ticket (`visibility="public"`) and its answers are
the ticket's public replies; what lives here is only what the forum adds around them: votes and their counts,
comments, flags, moderation, edit history, reputation and proposals to publish a private ticket.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.accounts.models import Forum
from helpdesk.tickets.models import Message, Ticket


class PostScore(models.Model):
    """The vote counts of one answer, kept in step with its votes inside the voting transaction."""

    message = models.OneToOneField(Message, primary_key=True, on_delete=models.CASCADE, related_name="forum_score")
    score = models.IntegerField(default=0)
    upvotes = models.PositiveIntegerField(default=0)
    downvotes = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("skor jawaban")
        verbose_name_plural = _("skor jawaban")

    def __str__(self) -> str:
        return f"{self.message_id}: {self.score:+d}"


class Vote(models.Model):
    class Value(models.IntegerChoices):
        UP = 1, _("naik")
        DOWN = -1, _("turun")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="forum_votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_votes")
    value = models.SmallIntegerField(_("nilai"), choices=Value.choices)
    reason = models.CharField(_("alasan"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("suara")
        verbose_name_plural = _("suara")
        constraints = [
            # One vote per person per post, at the database level: concurrent double clicks cannot both count.
            models.UniqueConstraint(fields=["message", "voter"], name="forum_vote_once"),
            models.CheckConstraint(condition=models.Q(value__in=[1, -1]), name="forum_vote_value"),
            models.CheckConstraint(condition=models.Q(value=1) | ~models.Q(reason=""), name="forum_downvote_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.voter_id} {self.value:+d} → {self.message_id}"


class Comment(models.Model):
    """A request for clarification under a question or an answer.

    Not a ticket Message on purpose: a comment does not move the ticket's status, is not a response for the
    SLA, is not a reply count, cannot be accepted, and is not mirrored to the Telegram topic. As a Message kind,
    every consumer of the ticket thread (lifecycle, notifications, realtime, Telegram, SLA) would have to learn to
    skip it.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="forum_comments")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="forum_comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="forum_comments"
    )
    body = models.TextField(_("komentar"))
    body_html = models.TextField(editable=False, default="")
    is_hidden = models.BooleanField(_("disembunyikan"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("komentar")
        verbose_name_plural = _("komentar")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="forum_comment_ticket_idx"),
            models.Index(fields=["author", "created_at"], name="forum_comment_author_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}/{self.message_id or '-'} #{self.pk}"


class FlagReason(models.TextChoices):
    SPAM = "spam", _("Spam atau iklan")
    RUDE = "rude", _("Kasar atau menyerang")
    PERSONAL_DATA = "personal_data", _("Memuat data pribadi")
    OFF_TOPIC = "off_topic", _("Di luar topik")


# Upheld flags of these reasons cost the author reputation.
PENALISED_REASONS = (FlagReason.SPAM, FlagReason.RUDE)


class Flag(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("menunggu tinjauan")
        UPHELD = "upheld", _("disetujui (disembunyikan)")
        DISMISSED = "dismissed", _("ditolak")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="forum_flags")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="forum_flags")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="flags")
    # "q:12", "m:345", "c:67": what was flagged, so that "one flag per person per post" is one unique constraint.
    target = models.CharField(max_length=32)
    # The forum covering the asker's region when the flag was raised: its coordinators review it.
    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="forum_flags")
    flagger = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_flags")
    reason = models.CharField(_("alasan"), max_length=16, choices=FlagReason.choices)
    note = models.CharField(_("catatan"), max_length=500, blank=True, default="")
    state = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.OPEN)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("laporan moderasi")
        verbose_name_plural = _("laporan moderasi")
        constraints = [models.UniqueConstraint(fields=["flagger", "target"], name="forum_flag_once")]
        indexes = [
            models.Index(fields=["forum", "state", "created_at"], name="forum_flag_queue_idx"),
            models.Index(fields=["target", "state"], name="forum_flag_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.target} {self.reason} ({self.state})"


class ModerationAction(models.Model):
    """Every moderator action, for the forum's coordinators and admins to read back."""

    class Action(models.TextChoices):
        HIDE = "hide", _("menyembunyikan")
        UNHIDE = "unhide", _("menampilkan kembali")
        EDIT = "edit", _("menyunting")
        LOCK = "lock", _("mengunci")
        UNLOCK = "unlock", _("membuka kunci")
        MOVE = "move", _("memindahkan kategori")
        FLAG_UPHELD = "flag_upheld", _("menyetujui laporan")
        FLAG_DISMISSED = "flag_dismissed", _("menolak laporan")
        DUPLICATE = "duplicate", _("menutup sebagai duplikat")
        PUBLISH = "publish", _("menjadikan publik")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="forum_moderation")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("tindakan"), max_length=16, choices=Action.choices)
    reason = models.CharField(_("alasan"), max_length=500, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("tindakan moderator")
        verbose_name_plural = _("tindakan moderator")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["ticket", "at"], name="forum_modaction_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.action} {self.ticket_id}/{self.message_id or '-'}"


class Revision(models.Model):
    """The text of a question, answer or comment as it was before an edit."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="forum_revisions")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="forum_revisions")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions")
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=200, blank=True, default="")
    body = models.TextField(blank=True, default="")
    reason = models.CharField(_("alasan"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("riwayat suntingan")
        verbose_name_plural = _("riwayat suntingan")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="forum_revision_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}/{self.message_id or '-'} @ {self.created_at:%Y-%m-%d %H:%M}"


class ReputationKind(models.TextChoices):
    ACCEPTED = "accepted", _("jawaban diterima")
    UPVOTE = "upvote", _("suara naik")
    KB_PUBLISHED = "kb_published", _("diterbitkan di basis pengetahuan")
    FLAG_PENALTY = "flag_penalty", _("laporan spam/kasar disetujui")


class ReputationEvent(models.Model):
    """The ledger: one row per fact that is worth points while it holds.

    A fact that stops holding (an upvote withdrawn, a question reopened) deletes its row, so every sum over the
    ledger (a month, a forum, a kabupaten) is right without reversal rows. `key` makes each fact idempotent.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reputation_events")
    kind = models.CharField(max_length=16, choices=ReputationKind.choices)
    points = models.IntegerField()
    key = models.CharField(max_length=120, unique=True)
    forum = models.ForeignKey(Forum, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The kabupaten/kota code (52.03) the points count for on regional leaderboards.
    region_code = models.CharField(max_length=13, blank=True, default="")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("peristiwa reputasi")
        verbose_name_plural = _("peristiwa reputasi")
        indexes = [
            models.Index(fields=["forum", "created_at"], name="forum_rep_forum_idx"),
            models.Index(fields=["region_code", "created_at"], name="forum_rep_region_idx"),
            models.Index(fields=["created_at"], name="forum_rep_time_idx"),
            models.Index(fields=["user", "created_at"], name="forum_rep_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.points:+d} {self.kind}"


class Reputation(models.Model):
    """Per-user totals of the ledger, updated with it (and rebuildable from it: `reputation_rebuild`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="forum_reputation"
    )
    points = models.IntegerField(default=0)
    # Signed on purpose: the UPSERT that applies a retraction checks constraints on the row it proposes.
    accepted_answers = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("reputasi")
        verbose_name_plural = _("reputasi")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.points}"


class PublicProposal(models.Model):
    """A volunteer proposes to make a private ticket a public question; the reporter decides."""

    class State(models.TextChoices):
        PENDING = "pending", _("menunggu persetujuan pelapor")
        ACCEPTED = "accepted", _("disetujui")
        DECLINED = "declined", _("ditolak")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="forum_proposals")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(_("pesan untuk pelapor"), max_length=500, blank=True, default="")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("usulan jadi publik")
        verbose_name_plural = _("usulan jadi publik")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=models.Q(state="pending"), name="forum_one_pending_proposal"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.state}"
