"""What the Telegram bridge remembers: every outbound request and the message ids it got, every inbound
update by `update_id`, the chats the bot is in (and whether it still may write there), the poller's offset
and lease, and the flood-limit windows shared by all workers. See docs/telegram.md.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboundMessage(models.Model):
    """One request to Telegram, recorded in the caller's transaction and delivered by the outbox.

    A long text becomes several parts; each part's message id is a `SentPart`. `sending_part` is set, and
    committed, right before a part's request leaves, and cleared when its result is recorded: a worker that
    finds it set knows that the request may have reached Telegram (see docs/telegram.md, "Delivery").
    """

    class Kind(models.TextChoices):
        MESSAGE = "message", _("pesan")
        EDIT = "edit", _("ubah pesan")
        TOPIC_CREATE = "topic_create", _("buat topik")
        TOPIC_EDIT = "topic_edit", _("ubah topik")
        TOPIC_CLOSE = "topic_close", _("tutup topik")
        TOPIC_REOPEN = "topic_reopen", _("buka lagi topik")
        CALLBACK_ANSWER = "callback_answer", _("jawab tombol")

    class State(models.TextChoices):
        QUEUED = "queued", _("antre")
        SENT = "sent", _("terkirim")
        UNCERTAIN = "uncertain", _("tidak pasti (mungkin terkirim)")
        FAILED = "failed", _("gagal")
        SKIPPED = "skipped", _("dilewati")

    key = models.CharField(_("kunci tujuan"), max_length=200, unique=True)
    subject = models.CharField(_("pokok"), max_length=120, blank=True, default="", db_index=True)
    kind = models.CharField(_("jenis"), max_length=20, choices=Kind.choices, default=Kind.MESSAGE)
    chat_id = models.BigIntegerField(_("ID obrolan"), db_index=True)
    sent_chat_id = models.BigIntegerField(_("ID obrolan tujuan akhir"), null=True, blank=True)
    thread_id = models.BigIntegerField(_("ID topik"), null=True, blank=True)
    thread_ref = models.CharField(_("topik dari"), max_length=200, blank=True, default="")
    reply_to = models.BigIntegerField(_("membalas pesan"), null=True, blank=True)
    reply_ref = models.CharField(_("membalas pesan dari"), max_length=200, blank=True, default="")
    target_message_id = models.BigIntegerField(_("pesan yang diubah"), null=True, blank=True)
    target_ref = models.CharField(_("pesan yang diubah dari"), max_length=200, blank=True, default="")
    text = models.TextField(_("teks"), blank=True, default="")
    parse_mode = models.CharField(_("format"), max_length=12, blank=True, default="HTML")
    buttons = models.JSONField(_("tombol"), null=True, blank=True)
    media_kind = models.CharField(_("jenis berkas"), max_length=10, blank=True, default="")
    media_path = models.CharField(_("berkas"), max_length=300, blank=True, default="")
    options = models.JSONField(_("opsi"), default=dict, blank=True)
    state = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.QUEUED)
    parts_total = models.PositiveSmallIntegerField(_("jumlah bagian"), default=0)
    parts_done = models.PositiveSmallIntegerField(_("bagian selesai"), default=0)
    sending_part = models.SmallIntegerField(_("bagian sedang dikirim"), null=True, blank=True)
    uncertain_parts = models.JSONField(_("bagian tidak pasti"), default=list, blank=True)
    result_thread_id = models.BigIntegerField(_("ID topik hasil"), null=True, blank=True)
    plain_fallback = models.BooleanField(_("dikirim sebagai teks biasa"), default=False)
    attempts = models.PositiveIntegerField(_("percobaan"), default=0)
    last_error = models.TextField(_("galat terakhir"), blank=True, default="")
    created_at = models.DateTimeField(_("dibuat"), default=timezone.now)
    finished_at = models.DateTimeField(_("selesai"), null=True, blank=True)

    class Meta:
        verbose_name = _("pesan keluar Telegram")
        verbose_name_plural = _("pesan keluar Telegram")
        indexes = [models.Index(fields=["state", "created_at"], name="tg_out_state_idx")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.chat_id} [{self.state}] {self.key}"

    @property
    def is_final(self) -> bool:
        return self.state != self.State.QUEUED


class SentPart(models.Model):
    """A Telegram message the bot sent: which request, which part, and its id in the chat."""

    outbound = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="parts")
    part = models.PositiveSmallIntegerField()
    chat_id = models.BigIntegerField()
    message_id = models.BigIntegerField()
    thread_id = models.BigIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("pesan terkirim")
        verbose_name_plural = _("pesan terkirim")
        constraints = [
            models.UniqueConstraint(fields=["outbound", "part"], name="tg_part_unique"),
            models.UniqueConstraint(fields=["chat_id", "message_id"], name="tg_part_message_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.chat_id}/{self.message_id}"


class TelegramUpdate(models.Model):
    """An incoming update, stored once by its `update_id` and applied once."""

    class State(models.TextChoices):
        RECEIVED = "received", _("diterima")
        APPLIED = "applied", _("diterapkan")
        IGNORED = "ignored", _("diabaikan")
        HELD = "held", _("ditahan")
        FAILED = "failed", _("gagal")

    class Source(models.TextChoices):
        POLLING = "polling", _("long polling")
        WEBHOOK = "webhook", _("webhook")

    update_id = models.BigIntegerField(_("update_id"), unique=True)
    payload = models.JSONField(_("isi"))
    source = models.CharField(_("sumber"), max_length=8, choices=Source.choices)
    kind = models.CharField(_("jenis"), max_length=40, blank=True, default="")
    chat_id = models.BigIntegerField(_("ID obrolan"), null=True, blank=True, db_index=True)
    from_user_id = models.BigIntegerField(_("ID pengguna Telegram"), null=True, blank=True)
    state = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.RECEIVED)
    note = models.CharField(_("catatan"), max_length=200, blank=True, default="")
    held_for = models.CharField(_("ditahan untuk"), max_length=80, blank=True, default="", db_index=True)
    attempts = models.PositiveSmallIntegerField(_("percobaan"), default=0)
    last_error = models.TextField(_("galat terakhir"), blank=True, default="")
    received_at = models.DateTimeField(_("diterima pada"), default=timezone.now)
    applied_at = models.DateTimeField(_("diterapkan pada"), null=True, blank=True)

    class Meta:
        verbose_name = _("update Telegram")
        verbose_name_plural = _("update Telegram")
        indexes = [models.Index(fields=["state", "update_id"], name="tg_update_state_idx")]

    def __str__(self) -> str:
        return f"{self.update_id} {self.kind} [{self.state}]"


class TelegramChat(models.Model):
    """A chat the bot has seen, and whether it may still write there (shown to coordinators)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("aktif")
        REMOVED = "removed", _("bot dikeluarkan / diblokir")
        MIGRATED = "migrated", _("pindah ke supergrup")

    chat_id = models.BigIntegerField(_("ID obrolan"), unique=True)
    type = models.CharField(_("tipe"), max_length=12, blank=True, default="")
    title = models.CharField(_("judul"), max_length=255, blank=True, default="")
    is_forum = models.BooleanField(_("grup bertopik"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    migrated_to = models.BigIntegerField(_("pindah ke"), null=True, blank=True)
    bot_is_admin = models.BooleanField(_("bot admin"), null=True, blank=True)
    can_manage_topics = models.BooleanField(_("bot boleh mengelola topik"), null=True, blank=True)
    status_detail = models.CharField(_("keterangan"), max_length=255, blank=True, default="")
    status_changed_at = models.DateTimeField(_("status berubah"), null=True, blank=True)
    updated_at = models.DateTimeField(_("diperbarui"), default=timezone.now)

    class Meta:
        verbose_name = _("obrolan Telegram")
        verbose_name_plural = _("obrolan Telegram")

    def __str__(self) -> str:
        return f"{self.title or self.chat_id} [{self.status}]"


class TelegramChatEvent(models.Model):
    """A change in the bot's standing in a chat: removed, migrated, back, rights changed."""

    class Kind(models.TextChoices):
        REMOVED = "removed", _("bot dikeluarkan / diblokir")
        MIGRATED = "migrated", _("pindah ke supergrup")
        RESTORED = "restored", _("bot aktif lagi")
        RIGHTS = "rights", _("hak bot berubah")

    chat_id = models.BigIntegerField(_("ID obrolan"), db_index=True)
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices)
    detail = models.CharField(_("keterangan"), max_length=255, blank=True, default="")
    new_chat_id = models.BigIntegerField(_("ID obrolan baru"), null=True, blank=True)
    at = models.DateTimeField(_("waktu"), default=timezone.now)

    class Meta:
        verbose_name = _("perubahan obrolan Telegram")
        verbose_name_plural = _("perubahan obrolan Telegram")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.chat_id} {self.kind}"


class BridgeState(models.Model):
    """The long poller's offset and lease, one row per bot."""

    name = models.CharField(max_length=80, unique=True)
    offset = models.BigIntegerField(default=0)
    lease_holder = models.CharField(max_length=120, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("status jembatan Telegram")
        verbose_name_plural = _("status jembatan Telegram")

    def __str__(self) -> str:
        return self.name


class RateWindow(models.Model):
    """The send times of one flood-limit bucket (overall, a chat, a group), shared by every worker."""

    name = models.CharField(max_length=80, unique=True)
    stamps = models.JSONField(default=list)

    class Meta:
        verbose_name = _("jendela batas kirim")
        verbose_name_plural = _("jendela batas kirim")

    def __str__(self) -> str:
        return self.name


from .ticket_models import (  # noqa: E402,F401
    ForumTelegramSettings,
    LinkCode,
    PrivateDialog,
    TelegramLink,
    TicketChatMessage,
    TicketThread,
    UnlinkedNotice,
)
