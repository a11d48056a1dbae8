"""Dashboard pages: read-only, server-rendered, filters as a GET form, charts as inline SVG.

The scope comes from `access.dashboard_scope`, the figures from the same selectors as the API, so a page and
`/api/v1/stats/` always agree.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from rest_framework.exceptions import ValidationError

from helpdesk.accounts.models import Forum
from helpdesk.categories.models import Category
from helpdesk.regions.codes import ancestor_codes, level_of
from helpdesk.regions.models import Region
from helpdesk.tickets.models import Priority

from . import services, svg
from .access import Scope, check_region, dashboard_scope
from .adoption import Adoption, adoption_by_child
from .figures import dashboard_figures
from .guard import FiguresTooSlow
from .models import VillageAdoption
from .params import StatsFilters, default_range, parse_filters, parse_month, period_choices
from .selectors import Figures

TILE_BUCKETS = (20, 40, 60)  # below these percents: tile classes p0, p1, p2; then p3 below target, p4 at target


def _region_or_404(code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise Http404
    return region


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The top of the caller's scope: their region, the only province, or the whole country."""
    scope = dashboard_scope(request.user)
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    if scope.default_region():
        return redirect(f"{reverse('dashboard-region', args=[scope.default_region()])}{query}")
    if scope.roots is not None:  # a coordinator of several regions picks one
        roots = Region.objects.filter(code__in=scope.roots).order_by("code")
        return render(request, "dashboards/pick.html", {"roots": roots})
    provinces = list(Region.objects.filter(level=1).values_list("code", flat=True)[:2])
    if len(provinces) == 1:
        return redirect(f"{reverse('dashboard-region', args=[provinces[0]])}{query}")
    return _dashboard(request, scope, None)


@login_required
@require_GET
def region_page(request: HttpRequest, code: str) -> HttpResponse:
    scope = dashboard_scope(request.user)
    region = _region_or_404(code)
    check_region(scope, region.code)
    return _dashboard(request, scope, region)


def _filters(request: HttpRequest, region: Region | None) -> tuple[StatsFilters, dict[str, list[str]]]:
    code = region.code if region else ""
    try:
        return parse_filters(request.GET, region=code), {}
    except ValidationError as exc:
        start, end = default_range()
        errors = {k: [str(m) for m in v] for k, v in exc.detail.items()} if isinstance(exc.detail, dict) else {}
        return StatsFilters(region=code, start=start, end=end), errors


def _breadcrumb(scope: Scope, region: Region | None) -> list[Region]:
    if region is None:
        return []
    codes = [c for c in reversed(ancestor_codes(region.code)) if scope.covers(c)]
    return list(Region.objects.filter(code__in=codes).order_by("code"))


def tile_class(percent: float | None, target: int) -> str:
    if percent is None:
        return "none"
    if percent >= target:
        return "p4"
    for i, bound in enumerate(TILE_BUCKETS):
        if percent < bound:
            return f"p{i}"
    return "p3"


def _tickets_link(scope: Scope, f: StatsFilters, **extra: str) -> str:
    """The ticket list behind a number, for those who may open tickets (the queue takes these filters)."""
    if not scope.sees_tickets:
        return ""
    params = {"tampil": "semua", "region": f.region, "forum": str(f.forum or ""), "category": f.category, **extra}
    return f"{reverse('queue')}?{urlencode({k: v for k, v in params.items() if v})}"


def _labels() -> dict[str, str]:
    return {"opened": _("Dibuka"), "solved": _("Selesai"), "open_end": _("Terbuka di akhir bulan")}


def _context(scope: Scope, region: Region | None, f: StatsFilters, fig: Figures, adoption: Adoption) -> dict[str, Any]:
    target = adoption.target
    api_query = f.query()
    tiles = [{"row": r, "css": tile_class(r.percent, target), "drill": level_of(r.code) < 4}
             for r in adoption.children]
    adoption_bars = [svg.Bar(r.name, r.percent or 0.0, note="%") for r in adoption.children]
    return {
        "region": region, "filters": f, "fig": fig, "adoption": adoption, "tiles": tiles, "scope": scope,
        "breadcrumb": _breadcrumb(scope, region),
        # Drilling down keeps the period and the other filters.
        "keep": urlencode({k: v for k, v in api_query.items() if k != "region"}),
        # The usual periods, keeping the other filters.
        "periods": [{"label": label, "current": (start, end) == (f.start, f.end),
                     "query": urlencode({k: v for k, v in f.query(**{"from": start.isoformat(), "to": end.isoformat()})
                                         .items() if k != "region"})}
                    for label, start, end in period_choices()],
        "month_chart": svg.month_chart(fig.months, title=_("Tiket per bulan"), labels=_labels()),
        "category_chart": svg.hbars(
            [svg.Bar(c["name"], c["tickets"], _tickets_link(scope, f, category=c["slug"])) for c in fig.categories],
            title=_("Kategori terbanyak"),
        ),
        "adoption_chart": svg.hbars(adoption_bars, title=_("Persen desa memakai SID"), maximum=100, target=target)
        if len(adoption_bars) <= 40 else "",
        "csat_chart": svg.hbars([svg.Bar(f"{k} ★", v) for k, v in fig.csat["distribution"].items()],
                                title=_("Sebaran nilai kepuasan")),
        "links": {
            "opened": _tickets_link(scope, f),
            "open": _tickets_link(scope, f, tampil="terbuka"),
        },
        "csv": {name: f"{reverse('api-stats')}?{urlencode({**api_query, 'format': 'csv', 'table': name})}"
                for name in ("summary", "months", "categories", "forums", "csat", "keep_asking", "never_asked",
                             "volunteers")},
        "adoption_csv": f"{reverse('api-stats-adoption')}?{urlencode({'region': f.region, 'format': 'csv'})}",
        "api_json": f"{reverse('api-stats')}?{urlencode(api_query)}",
    }


def _too_slow(request: HttpRequest, exc: FiguresTooSlow) -> HttpResponse:
    """The figures passed the request's time limit (`guard.py`): say so, and offer the unfiltered dashboard."""
    return render(request, "dashboards/too_slow.html", {"message": str(exc.detail)}, status=exc.status_code)


def _dashboard(request: HttpRequest, scope: Scope, region: Region | None) -> HttpResponse:
    f, errors = _filters(request, region)
    try:
        fig = dashboard_figures(scope, f)
    except FiguresTooSlow as exc:
        return _too_slow(request, exc)
    adoption = adoption_by_child(f.region)
    context = _context(scope, region, f, fig, adoption)
    context.update(
        errors=errors, params=request.GET,
        forums=Forum.objects.filter(is_active=True).order_by("name").only("pk", "name")
        if scope.everywhere else Forum.objects.filter(pk__in=scope.forum_ids).order_by("name").only("pk", "name"),
        categories=Category.objects.order_by("name").only("slug", "name"),
        priorities=Priority.choices,
        report_month=f.end.strftime("%Y-%m"),
    )
    return render(request, "dashboards/dashboard.html", context, status=400 if errors else 200)


@login_required
@require_GET
def monthly_report(request: HttpRequest, code: str) -> HttpResponse:
    """One month of one region on paper: the dashboard's figures in a layout made for printing."""
    scope = dashboard_scope(request.user)
    region = _region_or_404(code)
    check_region(scope, region.code)
    today = timezone.localdate()
    default = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    status = 200
    try:
        span = parse_month(request.GET.get("bulan", "") or default, today)
    except ValidationError as exc:
        # A month the report cannot show: say why (a flash message) and show last month instead.
        for message in exc.detail["bulan"] if isinstance(exc.detail, dict) else []:
            messages.error(request, str(message))
        span, status = parse_month(default, today), 400
    f = StatsFilters(region=region.code, start=span[0], end=span[1])
    try:
        fig = dashboard_figures(scope, f)
    except FiguresTooSlow as exc:
        return _too_slow(request, exc)
    adoption = adoption_by_child(region.code)
    context = _context(scope, region, f, fig, adoption)
    context["month"] = span[0]
    return render(request, "dashboards/report.html", context, status=status)


class AdoptionForm(forms.ModelForm):
    site_url = forms.URLField(label=gettext_lazy("Alamat situs desa (https://...)"), required=False,
                              max_length=200, assume_scheme="https")

    class Meta:
        model = VillageAdoption
        fields = ["uses_sid", "opensid_version", "hosting", "site_url"]


@login_required
@require_http_methods(["GET", "POST"])
def adoption_edit(request: HttpRequest, code: str) -> HttpResponse:
    desa, record, _scope = services.access_adoption(request.user, code)
    form = AdoptionForm(request.POST or None, instance=record)
    if request.method == "POST" and form.is_valid():
        services.adoption_update(actor=request.user, record=record, **{k: form.cleaned_data[k] or "" for k in
                                                                       AdoptionForm.Meta.fields})
        messages.success(request, _("Data SID desa disimpan."))
        return redirect("dashboard-region", desa.parent_id or desa.code)
    return render(request, "dashboards/adoption_edit.html", {"desa": desa, "record": record, "form": form},
                  status=400 if form.errors else 200)
