from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from helpdesk.core.ids import query_id, to_id

from . import selectors, services


@login_required
def notification_page(request: HttpRequest) -> HttpResponse:
    rows, next_before = selectors.notification_page(user=request.user, before=query_id(request.GET, "sebelum"))
    return render(request, "notifications/list.html", {"notifications": rows, "next_before": next_before})


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    raw = [i for i in request.POST.getlist("id") if i.isdigit()]
    ids = [i for i in map(to_id, raw) if i]
    services.mark_read(user=request.user, ids=ids, everything=not raw)  # type: ignore[arg-type]
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else "notifications")
