"""Create requests that are safe to repeat: the `Idempotency-Key` header (API) and one-time form tokens (web).

A double tap on a slow link, or a client retrying after a time-out, must not file two tickets. A POST that
creates something may carry `Idempotency-Key: <1-200 visible characters>`. The first request with a key runs
and its answer is stored with the key, in the same transaction as what it created. For 24 hours, the same key
from the same person gets that stored answer again (same status and body, header `Idempotent-Replayed: true`)
and nothing is written. The same key with a different method, path or body is a client bug: 409 with code
`idempotency_key_reused`. Keys are per person: someone else's identical key is unrelated. A request that fails
(4xx, 5xx) stores nothing, so it can be retried with the same key.

Two identical requests at the same moment: both try to insert the key; the database's unique constraint makes
the second wait for the first transaction and then fail, and the second then answers with the stored result.

Web forms do the same with a hidden `form_token` field (`form_token()` when rendering, `web_once()` when
handling the POST): a double submit files once and both submits go to the same page.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from . import deadlocks
from .api import error_body
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
MAX_KEY = 200
FORM_FIELD = "form_token"


# For `extend_schema(parameters=[...])` of every view wrapped by `idempotent`.
SCHEMA_PARAMETER = OpenApiParameter(
    HEADER, str, location=OpenApiParameter.HEADER, required=False,
    description="1-200 visible ASCII characters. The same key from the same person within 24 hours returns the "
    "first answer and writes nothing; with another body: 409 idempotency_key_reused.",
)


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY and key.isprintable() and key.isascii()


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    fields: dict[str, Any] = {}
    data = request.data
    for name in sorted(data.keys()) if hasattr(data, "keys") else []:
        values = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
        fields[name] = [v for v in values if not hasattr(v, "read")]
    if not hasattr(data, "keys"):
        fields["_"] = data
    digest.update(json.dumps(fields, sort_keys=True, default=str).encode())
    for name in sorted(request.FILES.keys()):
        for upload in request.FILES.getlist(name):
            digest.update(f"\nfile {name} {upload.name} {upload.size}\n".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def _find(user_id: int, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(user_id=user_id, key=key, created_at__gte=timezone.now() - KEEP).first()


def _replay(row: IdempotencyKey, fingerprint: str) -> Response:
    if row.fingerprint != fingerprint:
        return Response(error_body(_("Idempotency-Key ini sudah dipakai untuk permintaan lain."),
                                   "idempotency_key_reused"), status=409)
    response = Response(row.response, status=row.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: Callable[..., Response]) -> Callable[..., Response]:
    """For an APIView's `post`: honour the `Idempotency-Key` header of a signed-in caller."""

    @functools.wraps(view)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        user_id = getattr(request.user, "pk", None)
        if key is None or user_id is None:
            return view(self, request, *args, **kwargs)
        if not _valid_key(key):
            raise exceptions.ValidationError({HEADER: [_("Isi 1-200 karakter ASCII yang terlihat.")]})
        fingerprint = _fingerprint(request)
        found = _find(user_id, key)
        if found is not None:
            return _replay(found, fingerprint)
        IdempotencyKey.objects.filter(user_id=user_id, key=key, created_at__lt=timezone.now() - KEEP).delete()
        def once() -> Response:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(user_id=user_id, key=key, fingerprint=fingerprint,
                                                    status_code=0)
                response = view(self, request, *args, **kwargs)
                if not 200 <= response.status_code < 300:
                    transaction.set_rollback(True)  # a failure stores nothing: the client may retry with the key
                    return response
                row.status_code = response.status_code
                row.response = json.loads(JSONRenderer().render(response.data) or b"null")
                row.save(update_fields=["status_code", "response"])
                return response

        try:
            return deadlocks.run(once, before_retry=lambda: _rewind_files(request))
        except IntegrityError:
            # The same key is being used by a parallel request, which has now committed: answer as it did.
            found = _find(user_id, key)
            if found is None:
                raise
            return _replay(found, fingerprint)

    return wrapper


# --- web forms ------------------------------------------------------------------------------------------------------


def form_token() -> str:
    """A fresh one-time token for a form's hidden `form_token` field."""
    return secrets.token_urlsafe(24)


def web_replay(request: HttpRequest) -> HttpResponse | None:
    """The first submit's redirect, when this form's token was used already; else None (go ahead)."""
    token = request.POST.get(FORM_FIELD, "")
    user_id = getattr(request.user, "pk", None)
    if user_id is None or not _valid_key(token):
        return None
    found = _find(user_id, f"form:{token}")
    return _redirect(found.response["location"]) if found is not None else None


def web_once(request: HttpRequest, create: Callable[[], tuple[HttpResponse, bool]]) -> HttpResponse:
    """Run `create` (which says whether it created) once per form token, in one transaction with the token."""
    token = request.POST.get(FORM_FIELD, "")
    user_id = getattr(request.user, "pk", None)
    if user_id is None or not _valid_key(token):
        return create()[0]
    key = f"form:{token}"
    def once() -> HttpResponse:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(user_id=user_id, key=key, fingerprint="", status_code=0)
            response, created = create()
            location = response.get("Location", "")
            if not created or not location:
                transaction.set_rollback(True)  # nothing was filed: the token stays usable
                return response
            row.status_code, row.response = response.status_code, {"location": location}
            row.save(update_fields=["status_code", "response"])
            return response

    try:
        return deadlocks.run(once, before_retry=lambda: _rewind_files(request))
    except IntegrityError:
        replayed = web_replay(request)  # a parallel submit of the same form won; go where it went
        if replayed is None:
            raise
        return replayed


def _redirect(location: str) -> HttpResponse:
    response = HttpResponse(status=302)
    response["Location"] = location
    return response


def purge_expired() -> int:
    deleted, _rows = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    return deleted


def _rewind_files(request: HttpRequest | Request) -> None:
    """Before a transaction runs again, uploads are read again from their start."""
    for name in request.FILES:
        for upload in request.FILES.getlist(name):
            upload.seek(0)
