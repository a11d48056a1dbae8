from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .api import error_body
from .health import readiness


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; send them to the project's own icon."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """200 unless the database is down; `?strict=1` (for monitoring) answers 503 unless everything is ok."""
    report = readiness()
    failing = {"down"} if request.GET.get("strict") not in {"1", "true", "yes"} else {"down", "degraded"}
    return JsonResponse(report, status=503 if report["status"] in failing else 200)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body(_("Tidak ditemukan."), "not_found"), status=404)
    return render(request, "core/error.html", {"title": _("Halaman tidak ditemukan"), "code": 404}, status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body(_("Anda tidak memiliki izin."), "permission_denied"), status=403)
    return render(request, "core/error.html", {"title": _("Akses ditolak"), "code": 403}, status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):  # a body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413, as the contract says
        if _wants_json(request):
            return JsonResponse(error_body(_("Isi permintaan terlalu besar."), "too_large"), status=413)
        return render(request, "core/error.html", {"title": _("Isi permintaan terlalu besar"), "code": 413},
                      status=413)
    if _wants_json(request):
        return JsonResponse(error_body(_("Permintaan tidak valid."), "bad_request"), status=400)
    return render(request, "core/error.html", {"title": _("Permintaan tidak valid"), "code": 400}, status=400)


def method_not_allowed(request: HttpRequest, allowed: str) -> HttpResponse:
    """An address that only takes a form, opened directly (history, a bookmark, a new tab): the site's page with a
    way back to the page the form belongs to, not the browser's bare error."""
    if _wants_json(request):
        response: HttpResponse = JsonResponse(error_body(_("Metode tidak diizinkan."), "method_not_allowed"),
                                              status=405)
    else:
        hint = _("Alamat ini hanya dipakai untuk mengirim formulir, jadi tidak bisa dibuka langsung. Buka halaman "
                 "formulirnya lalu kirim lagi bila perlu.")
        response = render(request, "core/error.html", {"title": _("Halaman ini tidak bisa dibuka langsung"),
                                                       "code": 405, "hint": hint, "back": _page_above(request.path)},
                          status=405)
    response["Allow"] = allowed
    return response


def _page_above(path: str) -> str | None:
    """The nearest address above `path` that is a page (`/tiket/X/aksi/ambil/` -> `/tiket/X/`), or None."""
    parts = [p for p in path.split("/") if p]
    while len(parts) > 1:
        parts.pop()
        candidate = "/" + "/".join(parts) + "/"
        try:
            resolve(candidate)
        except Resolver404:
            continue
        return candidate
    return None


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body(_("Terjadi kesalahan di server."), "server_error"), status=500)
    return render(request, "core/error.html", {"title": _("Terjadi kesalahan"), "code": 500}, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the site's page in the person's language (a form left open too long, cookies off)."""
    if _wants_json(request):
        return JsonResponse(error_body(_("Permintaan ditolak: token keamanan tidak cocok."), "csrf_failed"),
                            status=403)
    hint = _("Formulir ini sudah terlalu lama terbuka, atau cookie dimatikan di peramban. Muat ulang halaman "
             "sebelumnya lalu kirim lagi; pastikan cookie untuk situs ini diizinkan.")
    return render(request, "core/error.html", {"title": _("Formulir kedaluwarsa"), "code": 403, "hint": hint},
                  status=403)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """503 while the database cannot be reached (a restart, a fail-over): nothing was written, try again.

    The page is rendered without the request: its context processors would ask the same database for the
    person and their session."""
    detail = _("Layanan sedang tidak tersedia sebentar. Coba lagi dalam beberapa detik.")
    if _wants_json(request):
        response: HttpResponse = JsonResponse(error_body(detail, "unavailable"), status=503)
    else:
        page: str
        try:
            page = render_to_string("core/error.html", {"title": _("Layanan sedang tidak tersedia"), "code": 503,
                                                        "hint": detail})
        except Exception:  # the page itself needs something that is down: the sentence alone still helps
            page = detail
        response = HttpResponse(page, status=503)
    response.headers["Retry-After"] = "5"
    return response
