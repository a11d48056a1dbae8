"""What the ticket bridge remembers: who is who on Telegram (account links and their one-time tokens), where
each ticket lives in each group (topic or root message), which Telegram messages became which ticket
messages, and the state of a guided private dialogue (/baru). Imported by bots/models.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TelegramLink(models.Model):
    """One account ↔ one Telegram user, unique both ways."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="telegram_link")
    telegram_user_id = models.BigIntegerField(_("ID pengguna Telegram"), unique=True)
    telegram_username = models.CharField(_("nama pengguna Telegram"), max_length=64, blank=True, default="")
    telegram_name = models.CharField(_("nama di Telegram"), max_length=128, blank=True, default="")
    linked_at = models.DateTimeField(_("ditautkan"), default=timezone.now)

    class Meta:
        verbose_name = _("tautan akun Telegram")
        verbose_name_plural = _("tautan akun Telegram")

    def __str__(self) -> str:
        return f"{self.user_id} ↔ {self.telegram_user_id}"


class LinkCode(models.Model):
    """A single-use, expiring code: a person's deep link (`/start <token>`) or a forum's `/hubungkan <code>`.
    Only a hash of the code is stored."""

    class Purpose(models.TextChoices):
        ACCOUNT = "account", _("tautkan akun")
        FORUM = "forum", _("hubungkan grup forum")

    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    forum = models.ForeignKey("accounts.Forum", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("kode tautan Telegram")
        verbose_name_plural = _("kode tautan Telegram")

    def __str__(self) -> str:
        return f"{self.purpose} {self.user_id} ({self.created_at:%Y-%m-%d})"


class TicketThread(models.Model):
    """Where a ticket lives in one group: a forum topic (`topic_key`/`thread_id`) or, in a plain group, the
    thread of replies under its root message (`root_key`). Every bot message about the ticket carries the
    subject `ticket:<id>`, so replies to any of them are traced back (outbound_by_message)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="telegram_threads")
    chat_id = models.BigIntegerField(_("ID obrolan"))
    is_topic = models.BooleanField(_("topik"), default=False)
    topic_key = models.CharField(max_length=200, blank=True, default="")
    root_key = models.CharField(max_length=200)
    closed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("utas tiket di Telegram")
        verbose_name_plural = _("utas tiket di Telegram")
        constraints = [models.UniqueConstraint(fields=["ticket", "chat_id"], name="tg_ticket_thread_unique")]

    def __str__(self) -> str:
        return f"{self.ticket_id} @ {self.chat_id}"


class TicketChatMessage(models.Model):
    """A message a person wrote in Telegram that became a ticket message (so /selesai can accept it)."""

    chat_id = models.BigIntegerField()
    message_id = models.BigIntegerField()
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    ticket_message = models.ForeignKey("tickets.Message", null=True, blank=True, on_delete=models.CASCADE,
                                       related_name="+")
    media_group_id = models.CharField(max_length=64, blank=True, default="", db_index=True)  # an album's id
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chat_id", "message_id"], name="tg_ticket_chat_msg_unique")]

    def __str__(self) -> str:
        return f"{self.chat_id}/{self.message_id} → {self.ticket_id}"


class PrivateDialog(models.Model):
    """A guided dialogue in a private chat (/baru): the step and what was collected so far."""

    telegram_user_id = models.BigIntegerField(unique=True)
    kind = models.CharField(max_length=20)
    step = models.CharField(max_length=20)
    data = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.telegram_user_id} {self.kind}:{self.step}"


class UnlinkedNotice(models.Model):
    """When a Telegram user without a linked account was last told how to link (their messages are held)."""

    telegram_user_id = models.BigIntegerField(unique=True)
    told_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.telegram_user_id)


class ForumTelegramSettings(models.Model):
    """How a forum's Telegram group behaves (issue 20). A forum without a row uses the defaults."""

    class SlaTo(models.TextChoices):
        ASSIGNEE = "assignee", _("ke relawan yang menangani (di grup bila belum ada)")
        GROUP = "group", _("ke grup")
        OFF = "off", _("tidak dikirim ke Telegram")

    forum = models.OneToOneField("accounts.Forum", on_delete=models.CASCADE, related_name="telegram_settings",
                                 verbose_name=_("forum"))
    every_message_is_reply = models.BooleanField(
        _("setiap pesan di topik tiket terkirim ke operator"), default=False,
        help_text=_("Bila mati (bawaan), hanya balasan pada kartu tiket atau pada pesan operator, dan /balas, yang "
                    "terkirim ke operator; pesan lain menjadi catatan internal."))
    post_files = models.BooleanField(_("kirim berkas tiket ke grup"), default=True)
    post_escalations = models.BooleanField(_("umumkan eskalasi di grup lama"), default=True)
    sla_warnings = models.CharField(_("peringatan batas waktu"), max_length=10, choices=SlaTo.choices,
                                    default=SlaTo.ASSIGNEE)
    quiet_from = models.TimeField(_("jam tenang mulai"), null=True, blank=True,
                                  help_text=_("Waktu setempat forum. Di jam tenang semua pesan bot dikirim tanpa bunyi."))
    quiet_until = models.TimeField(_("jam tenang sampai"), null=True, blank=True)

    class Meta:
        verbose_name = _("pengaturan Telegram forum")
        verbose_name_plural = _("pengaturan Telegram forum")

    def __str__(self) -> str:
        return str(self.forum)
