"""The event log (one row per event, a dense sequence number per stream) and single-use connection keys."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class StreamHead(models.Model):
    """The last sequence number given out on a stream. Advanced with an UPSERT inside the publishing
    transaction, so numbers are dense (1, 2, 3, ...) and a number becomes visible only after every smaller one
    on the same stream has committed: the row lock serialises publishers of one stream until they commit."""

    stream = models.CharField(max_length=64, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.stream}@{self.seq}"


class StreamEvent(models.Model):
    """One event of the log. `id` orders the whole log (for the log follower); `seq` orders one stream."""

    stream = models.CharField(max_length=64)
    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=40)
    data = models.JSONField(encoder=DjangoJSONEncoder)
    # "" for everyone subscribed to the stream; otherwise the name of a check registered for the stream's kind
    # (e.g. "internal": only those who may read internal notes of that ticket).
    audience = models.CharField(max_length=20, blank=True, default="")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "peristiwa waktu nyata"
        verbose_name_plural = "peristiwa waktu nyata"
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="realtime_event_stream_seq")]

    def __str__(self) -> str:
        return f"{self.stream}#{self.seq} {self.type}"


class ConnectionKey(models.Model):
    """A single-use key for `/ws/?ticket=...`, for clients without a session cookie. Only its hash is kept."""

    digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id} until {self.expires_at:%H:%M:%S}"
