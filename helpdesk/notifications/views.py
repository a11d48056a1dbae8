from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services


@login_required
def notification_page(request: HttpRequest) -> HttpResponse:
    before = request.GET.get("sebelum", "")
    rows, next_before = selectors.notification_page(user=request.user, before=int(before) if before.isdigit() else None)
    return render(request, "notifications/list.html", {"notifications": rows, "next_before": next_before})


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    services.mark_read(user=request.user, ids=ids, everything=not ids)  # type: ignore[arg-type]
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else "notifications")
