from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One thing a person should know. In the app always; by e-mail and Telegram as their preferences say."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    type = models.CharField(_("jenis"), max_length=40)
    text = models.CharField(_("teks"), max_length=500)
    url = models.CharField(_("tautan"), max_length=300, blank=True, default="")
    # Tickets sit above this service, so they are referenced by id only.
    ticket_id = models.PositiveBigIntegerField(null=True, blank=True)
    group_key = models.CharField(max_length=80, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    wants_email = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("notifikasi")
        verbose_name_plural = _("notifikasi")
        indexes = [
            models.Index(fields=["user", "-id"], name="notification_user_idx"),
            models.Index(fields=["user", "read_at"], name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.text}"
