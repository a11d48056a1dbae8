from django.db import models


class Marker(models.Model):
    """One row per effect of a test outbox job; a job that took effect twice leaves two rows."""

    job_key = models.CharField(max_length=255)
    note = models.CharField(max_length=100, blank=True, default="")

    def __str__(self) -> str:
        return self.job_key
