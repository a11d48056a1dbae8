"""Formatting shared by the API's JSON representations."""

from __future__ import annotations

from datetime import datetime

from rest_framework.fields import DateTimeField

_DATETIME = DateTimeField()


def iso(value: datetime | None) -> str | None:
    """A date-time as the API writes it (ISO 8601 in the current time zone, as DRF's DateTimeField does), or None."""
    return _DATETIME.to_representation(value) if value else None
