"""Field rules shared by the editor, the import and the services: one definition of a valid tag, version, text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from search.types import normalize_version

MAX_TITLE = 200
MAX_TEXT = 65_536
MAX_TAGS = 12
MAX_TAG = 40
MAX_VERSIONS = 12
MAX_EXTERNAL_ID = 100

VERSION_RE = re.compile(r"^[0-9][0-9a-z.\-]{0,31}$")
_TAG_SPACE = re.compile(r"[\s_]+")
_TAG_KEEP = re.compile(r"[^\w\-.]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str, *, field: str, max_length: int = MAX_TEXT, required: bool = False) -> str:
    value = _CONTROL.sub("", value or "").replace("\r\n", "\n").strip()
    if required and not value:
        raise ValidationError({field: _("Wajib diisi.")})
    if len(value) > max_length:
        raise ValidationError({field: _("Terlalu panjang (maks. %(n)d karakter).") % {"n": max_length}})
    return value


def clean_tags(values: Iterable[str] | str) -> list[str]:
    """`Impor, e-KTP , impor` -> ["impor", "e-ktp"]: lowercase words joined by dashes, no repeats."""
    if isinstance(values, str):
        values = values.split(",")
    tags: list[str] = []
    for raw in values:
        if not isinstance(raw, str):
            raise ValidationError({"tags": _("Label harus berupa teks.")})
        tag = _TAG_KEEP.sub("", _TAG_SPACE.sub("-", raw.strip().lower())).strip("-.")[:MAX_TAG]
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError({"tags": _("Paling banyak %(n)d label.") % {"n": MAX_TAGS}})
    return tags


def clean_versions(values: Iterable[str] | str) -> list[str]:
    """`v2410.0.0, 2409` -> ["2410.0.0", "2409"]: what the search's version filter compares."""
    if isinstance(values, str):
        values = re.split(r"[,\s]+", values)
    versions: list[str] = []
    for raw in values:
        if not isinstance(raw, str):
            raise ValidationError({"versions": _("Versi harus berupa teks.")})
        if not raw.strip():
            continue
        version = normalize_version(raw)
        if not VERSION_RE.match(version):
            raise ValidationError({"versions": _("%(v)s bukan versi OpenSID (contoh: v2410.0.0).") % {"v": raw[:40]}})
        if version not in versions:
            versions.append(version)
    if len(versions) > MAX_VERSIONS:
        raise ValidationError({"versions": _("Paling banyak %(n)d versi.") % {"n": MAX_VERSIONS}})
    return versions


def clean_external_id(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationError({"external_id": _("Wajib berupa teks atau angka.")})
    text = str(value).strip()
    if not text:
        raise ValidationError({"external_id": _("Wajib diisi.")})
    if len(text) > MAX_EXTERNAL_ID or _CONTROL.search(text):
        raise ValidationError({"external_id": _("Maks. %(n)d karakter tanpa karakter kontrol.") % {"n": MAX_EXTERNAL_ID}})
    return text


def parse_solved_at(value: str) -> datetime:
    """ISO 8601 date or date-time; a date or a time without a zone is read in the server's zone."""
    value = value.strip()
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is None:
                raise ValueError(value)
            moment = datetime.combine(day, time(0, 0))
    except ValueError:
        raise ValidationError({"solved_at": _("Bukan tanggal ISO 8601 (contoh: 2024-10-01T09:30:00+08:00).")}) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment
