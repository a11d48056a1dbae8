"""Checks shared by the services that create or change accounts. Each adds messages to a `FieldErrors`.

A service collects every problem first and raises one `ValidationError({field: [messages]})` before it writes
anything, so a form or an API caller sees all of them at once and nothing is half-saved.
"""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from lokal import parse_phone

from helpdesk.regions.codes import LEVEL_VILLAGE, normalize_code
from helpdesk.regions.models import Region

from .models import User

USERNAME_MIN = 3


class FieldErrors:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def __contains__(self, field: str) -> bool:
        return field in self.errors

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def check_username(username: str, errors: FieldErrors, *, field: str = "username") -> str:
    username = (username or "").strip()
    if not username:
        errors.add(field, _("Nama pengguna wajib diisi."))
        return username
    if len(username) < USERNAME_MIN:
        errors.add(field, _("Nama pengguna minimal %(n)d karakter.") % {"n": USERNAME_MIN})
    for validator in User._meta.get_field("username").validators:
        try:
            validator(username)
        except ValidationError:
            errors.add(field, _("Nama pengguna hanya boleh berisi huruf, angka, dan tanda @ . + - _ (maks. 150)."))
            break
    if field not in errors and User.objects.filter(username__iexact=username).exists():
        errors.add(field, _("Nama pengguna ini sudah dipakai. Pilih nama lain."))
    return username


def check_email(email: str, errors: FieldErrors, *, required: bool = True) -> str:
    email = (email or "").strip()
    if not email:
        if required:
            errors.add("email", _("Alamat e-mail wajib diisi."))
        return email
    try:
        validate_email(email)
    except ValidationError:
        errors.add("email", _("Alamat e-mail tidak valid."))
        return email
    local, _at, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def email_owner(email: str, *, exclude_pk: int | None = None) -> User | None:
    """The account that holds this address. Never shown to the person typing it (docs/accounts.md, "E-mail
    addresses are never confirmed"): callers mail the owner instead."""
    if not email:
        return None
    taken = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    return taken.first()


def check_password(password: str, user: User, errors: FieldErrors, *, field: str = "password") -> None:
    if not password:
        errors.add(field, _("Kata sandi wajib diisi."))
        return
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        for message in exc.messages:
            errors.add(field, message)


def check_phone(phone: str, errors: FieldErrors) -> str:
    """'' or the number in E.164 (+62...), as lokal-id normalises it."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    info = parse_phone(phone)
    if not info.valid or not info.e164:
        detail = "; ".join(issue.message for issue in info.errors)
        message = _("Nomor HP tidak valid.")
        errors.add("phone", f"{message} {detail}".strip())
        return phone
    return str(info.e164)


def check_village(desa_code: str, errors: FieldErrors, *, field: str = "desa_code") -> Region | None:
    raw = (desa_code or "").strip()
    if not raw:
        errors.add(field, _("Pilih desa/kelurahan Anda."))
        return None
    code = normalize_code(raw)
    region = Region.objects.filter(code=code).first() if code else None
    if region is None:
        errors.add(field, _("Kode desa/kelurahan %(code)s tidak dikenal.") % {"code": raw})
        return None
    if region.level != LEVEL_VILLAGE:
        errors.add(
            field,
            _("%(name)s (%(code)s) bukan desa/kelurahan. Pilih desa/kelurahannya.")
            % {"name": region.name, "code": region.code},
        )
        return None
    return region
