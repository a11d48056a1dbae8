"""The coordinators' page of searches without an answer (`/kb/pencarian/`): groups, and what to do about them.
Forms only; no JavaScript needed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.accounts.presenters import current_user
from helpdesk.core.ids import to_id

from . import access, learning


def _days(raw: str) -> int:
    value = to_id(raw) or 30
    return value if value in learning.PERIODS else 30


def _back(days: int, key: str = "") -> HttpResponse:
    query = {"hari": days, **({"cek": key} if key else {})}
    return redirect(f"/kb/pencarian/?{urlencode(query)}#{'cek' if key else 'daftar'}")


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(" ".join(v) for v in exc.message_dict.values())
    return " ".join(exc.messages)


@login_required
def unanswered_page(request: HttpRequest) -> HttpResponse:
    actor = current_user(request)
    if not access.is_reviewer(actor):
        raise PermissionDenied
    days = _days(request.GET.get("hari", ""))
    groups = learning.unanswered_groups(days=days)
    key = request.GET.get("cek", "").strip()[:300]
    context: dict[str, Any] = {
        "groups": groups, "days": days, "periods": learning.PERIODS, "key": key,
        "seo": {"title": _("Pencarian tanpa hasil"), "description": "", "canonical": "", "type": "website",
                "index": False},
    }
    if key:
        context["rechecked"] = learning.recheck(key, days=max(days, 180))
        context["group"] = next((g for g in groups if g.key == key), None)
        context["candidates"] = {h.entry_id: h for r in context["rechecked"] for h in r.hits}.values()
    return render(request, "kb/unanswered.html", context)


@login_required
@require_POST
def synonym_add(request: HttpRequest) -> HttpResponse:
    actor = current_user(request)
    if not access.is_reviewer(actor):
        raise PermissionDenied
    days, key = _days(request.POST.get("hari", "")), request.POST.get("kelompok", "").strip()[:300]
    try:
        synonym = learning.synonym_add(actor=actor, rule=request.POST.get("aturan", ""))
    except ValidationError as exc:
        messages.error(request, _("Sinonim tidak disimpan: %(e)s") % {"e": _errors(exc)})
    else:
        messages.success(request, _("Sinonim “%(r)s” ditambahkan. Di bawah: pencarian lama kelompok ini, dicari "
                                    "lagi sekarang.") % {"r": synonym.rule})
    return _back(days, key)


@login_required
@require_POST
def judge(request: HttpRequest) -> HttpResponse:
    actor = current_user(request)
    if not access.is_reviewer(actor):
        raise PermissionDenied
    days, key = _days(request.POST.get("hari", "")), request.POST.get("kelompok", "").strip()[:300]
    try:
        learning.judge(actor=actor, key=key, query=request.POST.get("kata", ""),
                       entry_id=to_id(request.POST.get("entri", "")) or -1)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Tercatat sebagai jawaban yang benar; ikut dalam evaluasi pencarian."))
    return _back(days, key)
