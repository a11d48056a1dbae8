"""The province's adoption CSV: `kode_desa,memakai_sid,versi_opensid,hosting,alamat_situs,dikonfirmasi`.

English headers (`desa_code,uses_sid,opensid_version,hosting,site_url,confirmed_at`) are accepted too. Every
line is checked before anything is written: a bad line fails the whole import with its line number, unless
`skip_invalid` is set. Idempotent by desa code: importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from helpdesk.regions.codes import normalize_code
from helpdesk.regions.models import Region
from helpdesk.tickets.models import Hosting

from .models import Source, UsesSid, VillageAdoption, release_of
from .services import normalize_version

HEADERS = {
    "kode_desa": "desa_code", "desa_code": "desa_code",
    "memakai_sid": "uses_sid", "uses_sid": "uses_sid",
    "versi_opensid": "opensid_version", "opensid_version": "opensid_version",
    "hosting": "hosting",
    "alamat_situs": "site_url", "site_url": "site_url",
    "dikonfirmasi": "confirmed_at", "confirmed_at": "confirmed_at",
}
USES_ALIASES = {"opensid": UsesSid.OPENSID, "ya": UsesSid.OPENSID, "yes": UsesSid.OPENSID,
                "other": UsesSid.OTHER, "lain": UsesSid.OTHER, "lainnya": UsesSid.OTHER,
                "none": UsesSid.NONE, "tidak": UsesSid.NONE, "belum": UsesSid.NONE, "no": UsesSid.NONE,
                "unknown": UsesSid.UNKNOWN, "": UsesSid.UNKNOWN, "?": UsesSid.UNKNOWN}
BATCH = 1000


class ImportFailed(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Row:
    line: int
    desa_code: str
    values: dict[str, Any]
    confirmed_at: datetime | None  # None: not in the file, so "now" for a new or changed record


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)


def _confirmed(raw: str) -> datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    moment = parse_datetime(raw)
    if moment is None:
        day = parse_date(raw)
        if day is None:
            raise ValueError(raw)
        moment = datetime.combine(day, time.min)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _parse_line(line: int, raw: dict[str, str]) -> Row:
    problems: list[str] = []
    code = normalize_code(raw.get("desa_code", ""))
    if not code or code.count(".") != 3:
        problems.append(_("kode desa tidak valid"))
    uses = USES_ALIASES.get(raw.get("uses_sid", "").strip().lower())
    if uses is None:
        problems.append(_("memakai_sid harus opensid, other, none atau unknown"))
    hosting = raw.get("hosting", "").strip().lower()
    if hosting and hosting not in Hosting.values:
        problems.append(_("hosting harus salah satu dari %(values)s") % {"values": ", ".join(Hosting.values)})
    site = raw.get("site_url", "").strip()
    if site:
        try:
            URLValidator(schemes=["http", "https"])(site)
        except ValidationError:
            problems.append(_("alamat situs tidak valid"))
    confirmed = None
    try:
        confirmed = _confirmed(raw.get("confirmed_at", ""))
    except ValueError:
        problems.append(_("tanggal konfirmasi tidak valid"))
    if problems:
        raise ValueError("; ".join(problems))
    version = normalize_version(raw.get("opensid_version", ""))
    return Row(line=line, desa_code=code, values={
        "uses_sid": uses, "opensid_version": version, "opensid_release": release_of(version), "hosting": hosting,
        "site_url": site,
    }, confirmed_at=confirmed)


def parse(data: bytes) -> tuple[list[Row], list[tuple[int, str]]]:
    """Good rows, and (line, message) for bad ones, in file order (the header is line 1)."""
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    header = {name: HEADERS.get((name or "").strip().lower()) for name in reader.fieldnames or []}
    if "desa_code" not in header.values():
        return [], [(1, _("kolom kode_desa (atau desa_code) tidak ada"))]
    rows: list[Row] = []
    errors: list[tuple[int, str]] = []
    for raw in reader:
        line = reader.line_num
        values = {name: (v or "") for k, v in raw.items() if k is not None and (name := header.get(k))}
        try:
            rows.append(_parse_line(line, values))
        except ValueError as exc:
            errors.append((line, str(exc)))
    known = set(Region.objects.filter(code__in=[r.desa_code for r in rows], level=4).values_list("code", flat=True))
    first_line: dict[str, int] = {}
    for r in rows:
        if r.desa_code not in known:
            errors.append((r.line, _("desa %(code)s tidak dikenal") % {"code": r.desa_code}))
        elif r.desa_code in first_line:
            errors.append((r.line, _("desa %(code)s sudah ada di baris %(first)d")
                           % {"code": r.desa_code, "first": first_line[r.desa_code]}))
        else:
            first_line[r.desa_code] = r.line
    bad = {line for line, _msg in errors}
    return [r for r in rows if r.line not in bad], sorted(errors)


def _message(line: int, text: str) -> str:
    return _("Baris %(line)d: %(error)s") % {"line": line, "error": text}


def run(data: bytes, *, skip_invalid: bool = False, progress: Callable[[int], None] | None = None,
        on_parsed: Callable[[int], None] | None = None) -> Report:
    """Write the file's records; ImportFailed (nothing written) on any bad line unless `skip_invalid`."""
    good, errors = parse(data)
    messages = [_message(line, text) for line, text in errors]
    if errors and not skip_invalid:
        raise ImportFailed(messages)
    if on_parsed:
        on_parsed(len(good))
    report = Report(skipped=messages)
    with transaction.atomic():
        existing = {a.desa_id: a for a in VillageAdoption.objects.filter(desa_id__in=[r.desa_code for r in good])}
        now = timezone.now()
        created: list[VillageAdoption] = []
        changed: list[VillageAdoption] = []
        for i, r in enumerate(good, 1):
            record = existing.get(r.desa_code)
            if record is None:
                created.append(VillageAdoption(desa_id=r.desa_code, source=Source.IMPORT, updated_at=now,
                                               confirmed_at=r.confirmed_at or now, **r.values))
            elif (record.source != Source.IMPORT or any(getattr(record, k) != v for k, v in r.values.items())
                  or (r.confirmed_at is not None and r.confirmed_at != record.confirmed_at)):
                for k, v in r.values.items():
                    setattr(record, k, v)
                record.confirmed_at = r.confirmed_at or now
                record.source, record.updated_at, record.updated_by = Source.IMPORT, now, None
                changed.append(record)
            else:
                report.unchanged += 1
            if progress and (i % 100 == 0 or i == len(good)):
                progress(i)
        VillageAdoption.objects.bulk_create(created, batch_size=BATCH)
        VillageAdoption.objects.bulk_update(changed, [*IMPORTED, "source", "updated_at", "updated_by"], batch_size=BATCH)
    report.created, report.updated = len(created), len(changed)
    return report


IMPORTED = ["uses_sid", "opensid_version", "opensid_release", "hosting", "site_url", "confirmed_at"]
