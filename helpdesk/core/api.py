"""The API's error body: `{"detail", "code", "fields"?}` with the right status, for every error.

This is the only place where a domain error (`helpdesk.core.errors`) or Django's PermissionDenied, ValidationError
and Http404 become an HTTP status."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError, RateLimited, StorageFull, TooLarge

# Each domain error's status: the first class that matches wins. DomainError itself is a conflict.
STATUSES: tuple[tuple[type[DomainError], int], ...] = (
    (RateLimited, status.HTTP_429_TOO_MANY_REQUESTS),
    (TooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (StorageFull, status.HTTP_507_INSUFFICIENT_STORAGE),
    (DomainError, status.HTTP_409_CONFLICT),
)


def status_for(exc: DomainError) -> int:
    return next(code for cls, code in STATUSES if isinstance(exc, cls))


def _throttled(
    message: str, wait: float | None, code: str = RateLimited.code, *, say_wait: bool = True
) -> exceptions.Throttled:
    """A 429 whose sentence about the wait is ours, in the person's language (DRF's own is English)."""
    if wait and say_wait:
        minutes = max(1, math.ceil(wait / 60))
        # "… Coba lagi nanti." gives way to the exact wait, not followed by it.
        message = message.removesuffix(_("Coba lagi nanti.")).rstrip()
        message = " ".join([message, ngettext(
            "Coba lagi dalam %(n)d menit.", "Coba lagi dalam %(n)d menit.", minutes) % {"n": minutes}])
    error = exceptions.Throttled(detail=message, code=code)
    setattr(error, "wait", wait)  # noqa: B010 -- DRF reads it for Retry-After; its stubs omit the attribute
    return error


def _api_exception(exc: DomainError) -> exceptions.APIException:
    if isinstance(exc, RateLimited):
        return _throttled(str(exc.message), exc.retry_after, exc.code, say_wait=not exc.names_wait)
    error = exceptions.APIException(exc.message, exc.code)
    error.status_code = status_for(exc)
    return error


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, list):
        return [m for item in detail for m in _flatten(item)]
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _flatten(value)]
    return [str(detail)]


def _fields(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    return {"non_field_errors": _flatten(detail)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        exc = _api_exception(exc)
    elif isinstance(exc, exceptions.Throttled):  # a DRF throttle class
        exc = _throttled(str(RateLimited.default_message), getattr(exc, "wait", None))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args[:1])
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(_("Data tidak valid."), "invalid", _fields(exc.detail))
    else:
        codes = exc.get_codes()
        response.data = error_body(_untranslated(_flatten(exc.detail)[0]), codes if isinstance(codes, str) else "error")
    return response


def _untranslated(detail: str) -> str:
    """The two messages DRF builds without gettext, in the person's language (the rest: `drf_messages`)."""
    if detail.startswith("JSON parse error - "):  # rest_framework.parsers.JSONParser
        return _("JSON tidak valid: %(error)s") % {"error": detail.removeprefix("JSON parse error - ")}
    if detail.startswith("CSRF Failed: "):  # rest_framework.authentication.SessionAuthentication
        return _("Ditolak: token CSRF tidak ada atau salah. Muat ulang halaman, atau kirim token API "
                 "(Authorization: Token …) tanpa cookie sesi.")
    return detail


def error_body(detail: str, code: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "code": code}
    if fields is not None:
        body["fields"] = fields
    return body


class ChangeInput(serializers.Serializer):
    """The body of a change (PATCH): a key the endpoint does not change is a 400 naming it. Ignored, it answered
    200 with nothing changed, and a script that sent `{"status": "selesai"}` believed the ticket solved."""

    # Where a refused key is changed instead, when there is such a place: {key: the sentence to show}.
    elsewhere: ClassVar[dict[str, Any]] = {}  # str or a lazy translation

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = [str(key) for key in data if key not in self.fields]
            if unknown:
                raise exceptions.ValidationError({
                    key: [str(self.elsewhere.get(key) or _("Bidang ini tidak dapat diubah di sini."))] for key in unknown
                })
        return super().to_internal_value(data)


@extend_schema_serializer(component_name="Error")
class ErrorOut(serializers.Serializer):
    """The body of every error, as `error_body` builds it; the schema documents it on each operation."""

    detail = serializers.CharField(help_text="kalimat untuk orang, dalam bahasa pengguna")
    code = serializers.CharField(help_text="kode tetap untuk program, mis. invalid, not_found, illegal_transition")
    fields = serializers.DictField(  # type: ignore[assignment]  # the contract's key; shadows Serializer.fields
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="hanya pada 400: pesan per bidang",
    )


# The error responses, for the schema of each operation: `**error_responses(400, 403)`.
ERROR_RESPONSES = {
    400: OpenApiResponse(description="Data tidak valid: `fields` menyebut masalahnya"),
    401: OpenApiResponse(description="Belum masuk"),
    403: OpenApiResponse(description="Tidak berwenang"),
    404: OpenApiResponse(description="Tidak ditemukan"),
    409: OpenApiResponse(description="Perubahan status tidak diizinkan"),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERROR_RESPONSES[code] for code in codes}
