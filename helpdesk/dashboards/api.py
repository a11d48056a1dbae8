"""The statistics API: `/stats/` and `/stats/adoption/` for planners, coordinators and admins, `/open/stats/`
for anyone. Parse, decide the scope, call a selector, format; `?format=csv` answers a CSV table instead.

Errors keep the contract's body: a malformed, reversed, out-of-bounds (`params.date_bounds`) or over-five-year
range or an unknown region is a 400 naming the field, a region outside the caller's scope a 403.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import tables
from .access import Scope, check_region, dashboard_scope
from .adoption import adoption_by_child
from .figures import dashboard_figures
from .params import StatsFilters, parse_filters, parse_region


class CsvRenderer(BaseRenderer):
    """Lets `?format=csv` through DRF's content negotiation; the views build the CSV themselves."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return JSONRenderer().render(data)


class StatsView(APIView):
    renderer_classes = [JSONRenderer, CsvRenderer]

    def handle_exception(self, exc: Exception) -> Response:
        # Errors are JSON in the contract's shape, even when CSV was asked for.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def wants_csv(self, request: Request) -> bool:
        return getattr(request.accepted_renderer, "format", "") == "csv"


def scoped_filters(request: Request) -> tuple[Scope, StatsFilters]:
    scope = dashboard_scope(request.user)
    params = request.query_params
    region = parse_region(params) or scope.default_region()
    filters = parse_filters(params, region=region)
    if filters.region:
        check_region(scope, filters.region)
    # No region from a coordinator of several regions: all of them together (selectors.scope_q).
    return scope, filters


DATE_PARAMS = [
    OpenApiParameter("region", str, description="kode wilayah Kemendagri (52, 52.03, 52.03.15); kosong = semua"),
    OpenApiParameter("from", str, description="tanggal awal TTTT-BB-HH (bawaan: awal bulan, 11 bulan lalu)"),
    OpenApiParameter("to", str, description="tanggal akhir TTTT-BB-HH, termasuk (bawaan: hari ini); maks. 5 tahun"),
]
FILTER_PARAMS = [
    *DATE_PARAMS,
    OpenApiParameter("forum", int, description="id forum"),
    OpenApiParameter("category", str, description="slug kategori"),
    OpenApiParameter("priority", str, enum=["rendah", "normal", "tinggi", "darurat"]),
    OpenApiParameter("format", str, enum=["json", "csv"]),
    OpenApiParameter("table", str, description="untuk format=csv: summary (bawaan), months, categories, forums, "
                                               "csat, keep_asking, never_asked, volunteers"),
]
ERRORS = {400: OpenApiResponse(description="Parameter tidak valid: `fields` menyebut masalahnya"),
          403: OpenApiResponse(description="Di luar wilayah Anda, atau peran Anda tidak punya dasbor")}


class DurationOut(serializers.Serializer):
    n = serializers.IntegerField()
    median_minutes = serializers.FloatField(allow_null=True)
    p90_minutes = serializers.FloatField(allow_null=True)
    approximate = serializers.BooleanField(
        help_text="median dan p90 dibaca dari histogram ringkasan bulanan (selisih paling banyak 9 %)")
    measured = serializers.IntegerField(help_text="tiket yang sudah jelas memenuhi atau melanggar SLA")
    breached = serializers.IntegerField()
    breach_rate = serializers.FloatField(allow_null=True, help_text="persen")


@extend_schema_serializer(component_name="DashboardStats")
class StatsOut(serializers.Serializer):
    region = serializers.CharField(allow_null=True)
    to = serializers.DateField()
    summary = serializers.DictField(child=serializers.IntegerField())
    first_response = DurationOut()
    resolution = DurationOut()
    months = serializers.ListField(child=serializers.DictField())
    categories = serializers.ListField(child=serializers.DictField())
    forums = serializers.ListField(child=serializers.DictField())
    csat = serializers.DictField()
    villages = serializers.DictField()
    deflection = serializers.DictField(allow_null=True)
    volunteers = serializers.ListField(child=serializers.DictField(), allow_null=True,
                                       help_text="null untuk perencana: mereka melihat forum, bukan orang")


# `from` is a Python keyword, so it cannot be written as a class attribute.
StatsOut._declared_fields["from"] = serializers.DateField()


def figures_payload(scope: Scope, f: StatsFilters) -> dict[str, Any]:
    fig = dashboard_figures(scope, f)
    return {
        "region": f.region or None, "from": f.start, "to": f.end, "summary": fig.summary,
        "first_response": fig.first_response, "resolution": fig.resolution, "months": fig.months,
        "categories": fig.categories, "forums": fig.forums, "csat": fig.csat, "villages": fig.villages,
        "deflection": fig.deflection, "volunteers": fig.volunteers,
    }


def csv_table(available: dict[str, tables.Table], name: str, filename: str) -> HttpResponse:
    table = available.get(name or "summary")
    if table is None:
        raise exceptions.ValidationError({"table": [_("Tabel tidak dikenal: pilih %(names)s.")
                                                    % {"names": ", ".join(available)}]})
    return tables.csv_response(table, filename)


class StatsApi(StatsView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=FILTER_PARAMS, responses={200: StatsOut, **ERRORS},
                   summary="Angka dasbor untuk wilayah dan filter yang dipilih")
    def get(self, request: Request) -> Response | HttpResponse:
        scope, f = scoped_filters(request)
        if self.wants_csv(request):
            fig = dashboard_figures(scope, f)
            name = request.query_params.get("table", "")
            return csv_table(tables.figure_tables(fig), name,
                             f"statistik-{f.region or 'nasional'}-{name or 'summary'}-{f.start}-{f.end}")
        return Response(StatsOut(figures_payload(scope, f)).data)


@extend_schema_serializer(component_name="AdoptionRow")
class AdoptionRowOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    villages = serializers.IntegerField()
    using_sid = serializers.IntegerField()
    opensid = serializers.IntegerField()
    verified_operator = serializers.IntegerField()
    current_version = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)
    verified_percent = serializers.FloatField(allow_null=True)
    meets_target = serializers.BooleanField()


@extend_schema_serializer(component_name="Adoption")
class AdoptionOut(serializers.Serializer):
    region = serializers.CharField(allow_null=True)
    target = serializers.IntegerField(help_text="target provinsi, persen desa yang memakai SID")
    current_version = serializers.CharField(help_text="rilis OpenSID tertua yang dihitung mutakhir")
    total = AdoptionRowOut()
    results = AdoptionRowOut(many=True)


class AdoptionApi(StatsView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[DATE_PARAMS[0], OpenApiParameter("format", str, enum=["json", "csv"])],
                   responses={200: AdoptionOut, **ERRORS}, summary="Adopsi SID per wilayah anak")
    def get(self, request: Request) -> Response | HttpResponse:
        scope = dashboard_scope(request.user)
        region = parse_region(request.query_params) or scope.default_region()
        if not region and not scope.everywhere:
            raise exceptions.ValidationError({"region": [_("Pilih salah satu wilayah forum Anda.")]})
        check_region(scope, region)
        adoption = adoption_by_child(region)
        if self.wants_csv(request):
            return tables.csv_response(tables.adoption_table(adoption), f"adopsi-sid-{region or 'nasional'}")
        return Response(AdoptionOut(adoption.as_dict()).data)


@extend_schema_serializer(component_name="OpenStatsCell")
class OpenCellOut(serializers.Serializer):
    key = serializers.CharField(help_text="kode wilayah, slug kategori, atau bulan TTTT-BB")
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
    tickets = serializers.IntegerField(allow_null=True, help_text="null bila disembunyikan (< 5 tiket)")
    solved = serializers.IntegerField(allow_null=True)
    suppressed = serializers.BooleanField()


class OpenTotalOut(serializers.Serializer):
    tickets = serializers.IntegerField(allow_null=True)
    solved = serializers.IntegerField(allow_null=True)
    suppressed = serializers.BooleanField()


@extend_schema_serializer(component_name="OpenStats")
class OpenStatsOut(serializers.Serializer):
    region = serializers.CharField(allow_null=True)
    to = serializers.DateField()
    by = serializers.ChoiceField(choices=tables.OPEN_BY)
    license = serializers.CharField(help_text="lisensi data (bawaan CC BY 4.0)")
    min_cell = serializers.IntegerField(help_text="sel dengan tiket kurang dari ini disembunyikan")
    note = serializers.CharField()
    total = OpenTotalOut()
    results = OpenCellOut(many=True)


OpenStatsOut._declared_fields["from"] = serializers.DateField()


class OpenStatsApi(StatsView):
    """Open data for portals such as Satu Data NTB: aggregates only, never personal data or ticket text."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        parameters=[*DATE_PARAMS, OpenApiParameter("by", str, enum=list(tables.OPEN_BY),
                                                   description="pengelompokan (bawaan: region)"),
                    OpenApiParameter("format", str, enum=["json", "csv"])],
        responses={200: OpenStatsOut, 400: ERRORS[400]},
        summary="Data terbuka: jumlah tiket per wilayah, kategori atau bulan",
        description="Agregat saja: tidak ada data pribadi atau teks tiket. Sel dengan kurang dari 5 tiket "
                    "disembunyikan (null), dan satu sel lagi bila sel tersembunyi bisa dihitung dari total.",
    )
    def get(self, request: Request) -> Response | HttpResponse:
        params = request.query_params
        by = (params.get("by") or "region").strip()
        if by not in tables.OPEN_BY:
            raise exceptions.ValidationError({"by": [_("Pilih region, category atau month.")]})
        f = parse_filters({"region": params.get("region", ""), "from": params.get("from", ""),
                           "to": params.get("to", "")})
        data = tables.open_stats(f, by)
        if self.wants_csv(request):
            table = tables.Table("open", ["key", "label", "tickets", "solved", "suppressed", "license"],
                                 [[c["key"], c["label"], c["tickets"], c["solved"], c["suppressed"], data["license"]]
                                  for c in data["results"]])
            return tables.csv_response(table, f"data-terbuka-{f.region or 'nasional'}-{by}-{f.start}-{f.end}")
        return Response(OpenStatsOut(data).data)
