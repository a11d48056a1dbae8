"""Writes for people: operator sign-up and verification, profiles, API tokens, signing out everywhere.

Forums, memberships and invitations are in `forum_services.py`. Every function here checks what it needs,
raises `ValidationError({field: [...]})` before writing anything, and sends mail only through the outbox
("accounts.email"), so a mail leaves after the change commits and never for a change that rolled back.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from helpdesk.core import outbox
from helpdesk.core.errors import DomainError

from . import throttling
from .access import can_verify_operator
from .authentication import token_is_current
from .extensions import operator_changed
from .models import ERASED_PREFIX, OperatorReview, User
from .preferences import TIMEZONE_CHOICES, clean_prefs, wants_notification
from .selectors import coordinators_for_desa
from .validation import (
    FieldErrors,
    check_email,
    check_password,
    check_phone,
    check_username,
    check_village,
    email_owner,
)

Status = User.OperatorStatus

# The operator's life: which decision may follow which state. Anything else is a 409.
OPERATOR_TRANSITIONS: dict[str, set[str]] = {
    Status.PENDING: {Status.VERIFIED, Status.REJECTED},
    Status.REJECTED: {Status.VERIFIED},
    Status.VERIFIED: {Status.DEACTIVATED},
    Status.DEACTIVATED: {Status.VERIFIED},
}

EMAIL_KIND = "accounts.email"
PASSWORD_RESET_EVERY_SECONDS = 15 * 60


def resolve_language(language: str | None) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    language = (language or get_language() or "").split("-")[0]
    return language if language in codes else str(settings.LANGUAGE_CODE)


# --- Operator sign-up and verification --------------------------------------------------------------------


def operator_register(
    *,
    username: str,
    email: str,
    password: str,
    desa_code: str,
    name: str = "",
    phone: str = "",
    language: str | None = None,
) -> User:
    """A new operator of a desa, pending until a coordinator of that desa's forum (or an admin) verifies them."""
    errors = FieldErrors()
    username = check_username(username, errors)
    email = check_email(email, errors)
    owner = email_owner(email)
    desa = check_village(desa_code, errors)
    phone = check_phone(phone, errors)
    name = (name or "").strip()[:150]
    user = User(
        username=username,
        email="" if owner else email,  # an address held by another account is not given away, nor confirmed
        name=name,
        phone=phone,
        desa=desa,
        operator_status=Status.PENDING,
        language=resolve_language(language),
    )
    check_password(password, user, errors)
    errors.raise_if_any()
    user.set_password(password)
    with transaction.atomic():
        owner = save_new_user(user) or owner
        if owner is not None:
            tell_owner_of_attempt(owner)
        _tell_coordinators_of_pending(user)
        if user.pk is not None:
            _announce(user, "registered")
    return user


def _announce(operator: User, event: str) -> list[tuple[str, str]]:
    """The apps above hear of the operator's change (accounts.extensions.operator_changed), in its transaction."""
    filed = [listener(operator, event) for listener in operator_changed.values()]
    return [item for item in filed if item is not None]


def save_new_user(user: User) -> User | None:
    """Insert a new account. If another account took its address meanwhile, save it without one and return
    that other account (to be told); a username taken meanwhile is a 400 on `username` (usernames are public)."""
    try:
        with transaction.atomic():
            user.save()
        return None
    except IntegrityError:
        if User.objects.filter(username__iexact=user.username).exists():
            raise ValidationError({"username": [_("Nama pengguna ini sudah dipakai. Pilih nama lain.")]}) from None
        owner = email_owner(user.email)
        if owner is None:
            raise
    user.email = ""
    with transaction.atomic():
        user.save()
    return owner


def tell_owner_of_attempt(owner: User) -> None:
    """Mail the holder of an address that someone tried to use for another account (at most every 15 minutes)."""
    slot = int(time.time() // PASSWORD_RESET_EVERY_SECONDS)
    outbox.enqueue(EMAIL_KIND, {"template": "email_in_use", "user": owner.pk},
                   key=f"accounts.email-in-use:{owner.pk}:{slot}")


EMAIL_CHANGE_SALT = "accounts.email-change"
EMAIL_CHANGE_MAX_AGE = 3 * 24 * 3600


def email_change_request(*, user: User, email: str) -> None:
    """Ask to move the account to a new address: a link goes to that address, and the change happens when it
    is opened. If another account holds the address, its holder is told instead. Same outcome for the asker."""
    owner = email_owner(email, exclude_pk=user.pk)
    if owner is not None:
        tell_owner_of_attempt(owner)
        return
    outbox.enqueue(EMAIL_KIND, {"template": "email_change", "user": user.pk, "to": email},
                   key=f"accounts.email-change:{user.pk}:{email.lower()}:{int(time.time() // 60)}")


def email_change_token(user: User, email: str) -> str:
    return signing.dumps({"u": user.pk, "e": email}, salt=EMAIL_CHANGE_SALT, compress=True)


def email_change_confirm(*, token: str) -> User:
    """Open the link from `email_change_request`: the account takes the address, if it is still free."""
    invalid = ValidationError(_("Tautan konfirmasi e-mail tidak berlaku lagi. Ubah alamat sekali lagi di profil."))
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.BadSignature:
        raise invalid from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise invalid
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    email = str(data.get("e", ""))
    if user is None or not email or email_owner(email, exclude_pk=user.pk) is not None:
        raise invalid
    user.email = email
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError:
        raise invalid from None
    return user


def _tell_coordinators_of_pending(operator: User) -> None:
    """By e-mail here; in the app and on Telegram through the notifications app (operator_changed "registered")."""
    assert operator.desa_id is not None
    for coordinator in coordinators_for_desa(operator.desa_id):
        if coordinator.email and wants_notification(coordinator, "operator_pending", "email"):
            outbox.enqueue(
                EMAIL_KIND,
                {"template": "operator_pending", "user": coordinator.pk, "operator": operator.pk},
                key=f"accounts.operator-pending:{operator.pk}:{coordinator.pk}",
            )


def operator_review(*, actor: User, operator: User, decision: str, note: str = "") -> OperatorReview:
    """Verify, reject or deactivate an operator; recorded, and the operator is told by e-mail."""
    if not can_verify_operator(actor, operator):
        raise PermissionDenied
    note = (note or "").strip()[:2000]
    with transaction.atomic():
        current = User.objects.filter(pk=operator.pk).values_list("operator_status", flat=True).first()
        if current is None or decision not in OPERATOR_TRANSITIONS.get(current, set()):
            raise DomainError(
                _("Operator berstatus %(status)s tidak dapat diubah menjadi %(decision)s.")
                % {"status": Status(current).label if current else "-", "decision": Status(decision).label}
            )
        # Compare-and-set: two coordinators deciding at once cannot both win.
        if not User.objects.filter(pk=operator.pk, operator_status=current).update(operator_status=decision):
            raise DomainError(_("Status operator baru saja diubah orang lain. Muat ulang halaman."))
        review = OperatorReview.objects.create(operator=operator, reviewer=actor, decision=decision, note=note)
        operator.operator_status = decision
        filed = _announce(operator, decision)  # e.g. the ticket the operator prepared while waiting is filed
        outbox.enqueue(
            EMAIL_KIND,
            {"template": f"operator_{decision}", "user": operator.pk, "note": note,
             "filed": [{"label": label, "path": path} for label, path in filed]},
            key=f"accounts.operator-review:{review.pk}",
        )
    return review


def operator_verify(*, actor: User, operator: User, note: str = "") -> OperatorReview:
    return operator_review(actor=actor, operator=operator, decision=Status.VERIFIED, note=note)


def operator_reject(*, actor: User, operator: User, note: str = "") -> OperatorReview:
    return operator_review(actor=actor, operator=operator, decision=Status.REJECTED, note=note)


# --- Profile ----------------------------------------------------------------------------------------------


def profile_update(
    *,
    user: User,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    language: str | None = None,
    timezone: str | None = None,
    notification_prefs: dict[str, Any] | None = None,
) -> User:
    """Change what a person may change about themselves. Fields left as None stay as they are."""
    errors = FieldErrors()
    changed: list[str] = []
    if name is not None:
        user.name = name.strip()[:150]
        changed.append("name")
    new_email = ""
    if email is not None:
        checked = check_email(email, errors)
        if checked.lower() != user.email.lower():
            new_email = checked  # not stored yet: the new address confirms it (email_change_request)
    if phone is not None:
        user.phone = check_phone(phone, errors)
        changed.append("phone")
    if language is not None:
        if language not in {code for code, _name in settings.LANGUAGES}:
            errors.add("language", _("Bahasa tidak dikenal."))
        user.language = language
        changed.append("language")
    if timezone is not None:
        if timezone not in {code for code, _label in TIMEZONE_CHOICES}:
            errors.add("timezone", _("Zona waktu tidak dikenal."))
        user.timezone = timezone
        changed.append("timezone")
    if notification_prefs is not None:
        user.notification_prefs = clean_prefs(notification_prefs)
        changed.append("notification_prefs")
    errors.raise_if_any()
    with transaction.atomic():
        if changed:
            user.save(update_fields=changed)
        if new_email:
            email_change_request(user=user, email=new_email)
    user.email_pending = new_email  # type: ignore[attr-defined]
    return user


# --- Signing in and out -----------------------------------------------------------------------------------


def api_token_issue(*, user: User) -> str:
    """The user's API token (one per account; revoking it signs out every API client of that account)."""
    token, _created = Token.objects.get_or_create(user=user)
    if not token_is_current(token):  # issued before the last password change: void, replace it
        token.delete()
        token = Token.objects.create(user=user)
    return str(token.key)


def api_token_revoke(*, user: User) -> bool:
    deleted, _rows = Token.objects.filter(user=user).delete()
    return bool(deleted)


def sign_out_everywhere(*, user: User) -> None:
    """Invalidate every session (a new auth salt changes the session hash) and the API token."""
    with transaction.atomic():
        user.auth_salt = secrets.token_hex(16)
        user.save(update_fields=["auth_salt"])
        Token.objects.filter(user=user).delete()


def account_erase(*, user: User, password: str) -> None:
    """UU PDP, the right to erasure: the account is closed and its personal fields emptied; what the person
    wrote stays (tickets are the desa's record), shown as "Operator desa X". Logged in the admin's history."""
    if not user.check_password(password):
        raise ValidationError({"password": [_("Kata sandi salah.")]})
    with transaction.atomic():
        LogEntry.objects.create(
            user_id=user.pk, content_type_id=ContentType.objects.get_for_model(User).pk, object_id=str(user.pk),
            object_repr=f"{ERASED_PREFIX}{user.pk}"[:200], action_flag=CHANGE,
            change_message="UU PDP: data pribadi dihapus atas permintaan pemilik akun",
        )
        user.username = f"{ERASED_PREFIX}{user.pk}"
        user.name = user.first_name = user.last_name = user.email = user.phone = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        sign_out_everywhere(user=user)


def password_reset_completed(*, user: User) -> None:
    """A reset link was used: its owner proved they read the account's mail, so the sign-in lock is lifted."""
    throttling.clear_account(user.username)


def password_reset_request(*, email: str) -> None:
    """Queue a reset link for the active accounts with this address; silent when there are none.

    The link's token is made by the worker when it sends the mail, so no secret waits in the outbox.
    Repeated requests within 15 minutes send one mail.
    """
    email = (email or "").strip()
    if not email:
        return
    slot = int(time.time() // PASSWORD_RESET_EVERY_SECONDS)
    for user in User.objects.filter(email__iexact=email, is_active=True):
        if user.has_usable_password():
            outbox.enqueue(
                EMAIL_KIND,
                {"template": "password_reset", "user": user.pk},
                key=f"accounts.password-reset:{user.pk}:{slot}",
            )
