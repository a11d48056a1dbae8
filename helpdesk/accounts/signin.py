"""Checking a username and password, for the web sign-in form and the API token endpoint alike."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import throttling
from .models import User


class SignInError(Exception):
    """The credentials were refused; `retry_after` is set when the refusal is the throttle's."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def bad_credentials_message() -> str:
    # The same words for an unknown username, a wrong password and a disabled account.
    return _("Nama pengguna atau kata sandi salah.")


def throttled_message(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return ngettext(
        "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam %(n)d menit.",
        "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam %(n)d menit.",
        minutes,
    ) % {"n": minutes}


def check_credentials(request: HttpRequest, username: str, password: str) -> User:
    """The user these credentials belong to, or SignInError. Failed attempts are counted (see throttling)."""
    username = (username or "").strip()
    ip = throttling.client_ip(request)
    wait = throttling.reserve(username, ip)  # before the password is checked, atomically
    if wait is not None:
        raise SignInError(throttled_message(wait), retry_after=wait)
    user = authenticate(request, username=username, password=password or "") if username and password else None
    if not isinstance(user, User):
        raise SignInError(bad_credentials_message())  # the reserved attempt stays counted
    throttling.record_success(username, ip)
    return user
