from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponsePermanentRedirect,
)
from django.middleware import common
from django.utils.decorators import sync_and_async_middleware
from django.utils.http import escape_leading_slashes

from .logs import accept_request_id, request_id_scope
from .refcache import request_scope
from .views import method_not_allowed, permission_denied, service_unavailable

log = logging.getLogger(__name__)


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set: Permissions-Policy and a cross-origin resource policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


@sync_and_async_middleware
def RequestIdMiddleware(get_response: Any) -> Any:
    """Give the request an id (logs, outbox jobs, the X-Request-ID response header); see core/logs.py. It also
    opens the request's scope of reference-data tokens (core/refcache.py)."""

    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponse:
            with request_id_scope(accept_request_id(request.headers.get("X-Request-ID"))) as request_id, \
                    request_scope():
                response = await get_response(request)
            response.headers["X-Request-ID"] = request_id
            return response

    else:

        def middleware(request: HttpRequest) -> HttpResponse:  # type: ignore[misc]
            with request_id_scope(accept_request_id(request.headers.get("X-Request-ID"))) as request_id, \
                    request_scope():
                response = get_response(request)
            response.headers["X-Request-ID"] = request_id
            return response

    if iscoroutinefunction(get_response):
        markcoroutinefunction(middleware)
    return middleware


class XAccelRedirectMiddleware:
    """With ATTACHMENTS_X_ACCEL=1, a file response for a file under MEDIA_ROOT is handed to nginx.

    Views answer with a FileResponse only after their access check (tickets' `access_attachment`), so the
    check stays in the app; nginx then sends the bytes from its `internal` location (deploy/nginx/), and no
    web process is held for the length of a slow download. Every header the view set (type, disposition,
    cache, CSP) is kept; the body and its length are left to nginx.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not settings.ATTACHMENTS_X_ACCEL or not isinstance(response, FileResponse):
            return response
        relative = _media_relative_path(response)
        if relative is None:
            return response
        # Only the file: response.close() would also signal "request finished" and close the database connection.
        response.file_to_stream.close()
        redirect = HttpResponse(status=response.status_code)
        for name, value in response.headers.items():
            if name.lower() != "content-length":
                redirect.headers[name] = value
        redirect.headers["X-Accel-Redirect"] = settings.ATTACHMENTS_X_ACCEL_PREFIX + quote(relative)
        return redirect


def _media_relative_path(response: FileResponse) -> str | None:
    filelike = response.file_to_stream
    try:
        name = getattr(filelike, "path", None)  # a model's FieldFile: its absolute path in the storage
    except NotImplementedError:  # a storage without local files
        return None
    name = name or getattr(filelike, "name", None)
    if not isinstance(name, str) or not Path(name).is_absolute():
        return None
    root = Path(settings.MEDIA_ROOT).resolve()
    try:
        return Path(name).resolve().relative_to(root).as_posix()
    except ValueError:
        return None  # not an uploaded file: stream it as before


class QuietPermissionDeniedMiddleware:
    """A view that raises PermissionDenied gets the site's 403 page, without a traceback in the log.

    Django logs an uncaught PermissionDenied with its traceback; a person following a link they may not use is
    not an error of the server. The response is still logged as any 4xx is ("Forbidden: /path"), in one line.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, PermissionDenied):
            return None
        return permission_denied(request, exception)


class MethodNotAllowedPageMiddleware:
    """The bare 405 of `require_POST` and friends (an empty body: the browser shows its own error page) becomes the
    site's page, with the way back to the form's page; the `Allow` header stays."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and not getattr(response, "streaming", False) and not response.content:
            page = method_not_allowed(request, response.get("Allow", ""))
            # Django logged the refusal once already ("Method Not Allowed (GET)"); not a second time for the page.
            page._has_been_logged = getattr(response, "_has_been_logged", False)  # type: ignore[attr-defined]
            return page
        return response


class DatabaseUnavailableMiddleware:
    """A view that could not reach the database answers 503 with the contract's error body, not 500.

    PostgreSQL restarting or failing over cuts every connection: the request's transaction was rolled back,
    so nothing of it was written and the client may send it again (with the same Idempotency-Key). Django
    drops the broken connection when the request ends; the next request opens a fresh one.
    tests/faults/test_postgres_restart.py restarts PostgreSQL under load and counts the answers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        log.warning("database unavailable for %s %s: %s", request.method, request.path,
                    str(exception).strip().splitlines()[0] if str(exception).strip() else type(exception).__name__)
        return service_unavailable(request)


class CommonMiddleware(common.CommonMiddleware):
    """Django's, except that an API path lacking only its final slash answers 308, not 301.

    A 301 makes clients send a POST again as a GET: `requests.post(".../api/v1/tickets", json=...)` followed it
    to the ticket list and reported 200, having created nothing (with DEBUG=1 Django raised a 500 instead). A
    308 keeps the method and the body, so the retry does what the caller meant. Pages keep Django's 301.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if (response.status_code == 404 and request.path_info.startswith("/api/")
                and self.should_redirect_with_slash(request)):
            path = escape_leading_slashes(request.get_full_path(force_append_slash=True))
            return HttpResponsePermanentRedirect(path, preserve_request=True)
        return super().process_response(request, response)
