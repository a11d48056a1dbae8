"""Changing SLA targets, working hours and holidays: validation shared by the admin and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext as _

from helpdesk.accounts.access import is_admin
from helpdesk.accounts.models import Forum, User
from helpdesk.regions.codes import is_valid_code

from .models import Holiday, Priority, SlaPolicy, default_targets

HOLIDAY_NAME_MAX = Holiday._meta.get_field("name").max_length or 120

MAX_TARGET_MINUTES = 365 * 24 * 60


def clean_targets(raw: Any) -> dict[str, list[int]]:
    if not isinstance(raw, dict):
        raise ValidationError({"targets": [_("Harus berupa objek {prioritas: [respons, penyelesaian]}.")]})
    targets = default_targets()
    errors: list[str] = []
    for priority, value in raw.items():
        if priority not in Priority.values:
            errors.append(_("Prioritas %(p)s tidak dikenal.") % {"p": priority})
            continue
        if not (isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            errors.append(_("%(p)s: isi dua bilangan bulat menit kerja [respons, penyelesaian].") % {"p": priority})
            continue
        first, resolve = value
        if first <= 0 or resolve <= 0:
            errors.append(_("%(p)s: target harus lebih dari nol.") % {"p": priority})
        elif first > resolve:
            errors.append(_("%(p)s: target respons tidak boleh lebih lama dari penyelesaian.") % {"p": priority})
        elif resolve > MAX_TARGET_MINUTES:
            errors.append(_("%(p)s: target terlalu panjang.") % {"p": priority})
        else:
            targets[priority] = [first, resolve]
    if errors:
        raise ValidationError({"targets": errors})
    return targets


def _time(field: str, raw: Any) -> dt.time:
    if isinstance(raw, dt.time):
        return raw
    try:
        return dt.time.fromisoformat(str(raw))
    except ValueError:
        raise ValidationError({field: [_("Jam tidak valid; tulis seperti 08:00.")]}) from None


def clean_hours(days: Any, start: Any, end: Any) -> tuple[list[int], dt.time, dt.time]:
    if not isinstance(days, list) or not days or not all(isinstance(d, int) and 0 <= d <= 6 for d in days):
        raise ValidationError({"working_days": [_("Pilih hari kerja sebagai angka 0 (Senin) sampai 6 (Minggu).")]})
    start_t, end_t = _time("work_start", start), _time("work_end", end)
    if end_t <= start_t:
        raise ValidationError({"work_end": [_("Jam selesai harus setelah jam mulai.")]})
    return sorted(set(days)), start_t, end_t


def policy_update(*, actor: User, forum: Forum | None, data: dict[str, Any]) -> SlaPolicy:
    if not is_admin(actor):
        raise PermissionDenied(_("Hanya admin yang bisa mengubah target layanan."))
    policy = SlaPolicy.objects.filter(forum=forum).first() or SlaPolicy(forum=forum)
    targets = clean_targets(data["targets"]) if "targets" in data else policy.targets
    days, start, end = clean_hours(
        data.get("working_days", policy.working_days), data.get("work_start", policy.work_start),
        data.get("work_end", policy.work_end),
    )
    policy.targets, policy.working_days, policy.work_start, policy.work_end = targets, days, start, end
    policy.save()
    return policy


def holiday_add(*, actor: User, date: Any, name: str, region_prefix: str = "") -> tuple[Holiday, bool]:
    """The holiday of that day and region, added or renamed; True when it was added."""
    if not is_admin(actor):
        raise PermissionDenied(_("Hanya admin yang bisa menambah hari libur."))
    try:
        day = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date))
    except ValueError:
        raise ValidationError({"date": [_("Tanggal tidak valid; tulis seperti 2028-03-12.")]}) from None
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Wajib diisi.")]})
    try:  # refused, not cut to the column's length without a word to the caller
        MaxLengthValidator(HOLIDAY_NAME_MAX)(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from None
    region_prefix = (region_prefix or "").strip()
    if region_prefix and not is_valid_code(region_prefix):
        raise ValidationError({"region_prefix": [_("Kode wilayah tidak valid.")]})
    return Holiday.objects.update_or_create(date=day, region_prefix=region_prefix, defaults={"name": name})
