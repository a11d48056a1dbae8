"""Ids read from requests: a number the database cannot hold is a bad request (400) or nothing found (404).

Every id column is at most a signed 64-bit integer. A longer number in a filter, a body or a form must never
reach the database: SQLite raises OverflowError, PostgreSQL a range error, and either would be a 500.
- `IdField` is the serializer field for an id in an API body (400 with `fields` when out of range).
- `query_id(params, name)` reads an id filter from a query string: missing or not a number -> None (the
  filter is not applied, as before), a number out of range -> `InvalidId` (400 with `fields` on the API,
  a plain 400 page on the web).
- `to_id(raw)` is for places where a bad id simply matches nothing (form lists, optional references).
Ids in URL paths need nothing: Django's integer lookups treat an out-of-range value as matching no row, so
`/api/v1/tickets/99999999999999999999/` is a 404 (tested in tests/core/test_ids.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import BadRequest, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

MAX_ID = 2**63 - 1


class InvalidId(ValidationError, BadRequest):
    """A ValidationError for the API's handler (400 with `fields`), a BadRequest for Django's (a 400 page)."""

    def __init__(self, name: str) -> None:
        super().__init__({name: [_("Nomor id terlalu besar.")]})


def to_id(raw: Any) -> int | None:
    """The id in `raw` (an int or a string of digits), or None when it is not one the database can hold."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw <= MAX_ID else None
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit()):  # "¹".isdigit() holds, and int("¹") raises
        return None
    digits = text.lstrip("0")
    if not digits or len(digits) > 19:
        return None
    value = int(digits)
    return value if value <= MAX_ID else None


def query_id(params: Mapping[str, Any], name: str) -> int | None:
    """An optional id filter: None when absent or not a number; InvalidId when a number out of range."""
    text = str(params.get(name, "") or "").strip()
    if not text.isdigit():
        return None
    value = to_id(text)
    if value is None and text.lstrip("0"):
        raise InvalidId(name)
    return value


class IdField(serializers.IntegerField):
    """An id in a request body: an integer that fits the database's id columns."""

    default_error_messages = {"max_value": gettext_lazy("Nomor id terlalu besar.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("min_value", -MAX_ID)
        super().__init__(**kwargs)
