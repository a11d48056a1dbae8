"""API of the region tree: search by name or code, one region with its parent chain and children."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .codes import ZONE_LABELS
from .models import Region
from .selectors import region_chains, region_children, region_search, region_with_ancestors

MAX_LIMIT = 50


class RegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Region.Kind.choices)
    kind_display = serializers.CharField()
    level = serializers.IntegerField(help_text="1 provinsi, 2 kabupaten/kota, 3 kecamatan, 4 desa/kelurahan")
    parent = serializers.CharField(allow_null=True)  # type: ignore[assignment]  # shadows Field.parent, a name the API keeps


def region_payload(region: Region) -> dict[str, Any]:
    return {
        "code": region.code,
        "name": region.name,
        "kind": region.kind,
        "kind_display": region.get_kind_display(),
        "level": region.level,
        "parent": region.parent_id,
    }


class RegionListApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema_serializer(component_name="RegionListFilter")
    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, max_length=100)
        level = serializers.IntegerField(required=False, min_value=1, max_value=4)
        parent = serializers.CharField(required=False, allow_blank=True, max_length=20)  # type: ignore[assignment]  # the query parameter is named parent
        within = serializers.CharField(required=False, allow_blank=True, max_length=20)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=20)

    @extend_schema_serializer(component_name="RegionListOutput")
    class OutputSerializer(RegionSerializer):
        path = serializers.CharField(help_text="nama wilayah di atasnya, terdekat dahulu")

    @extend_schema(
        operation_id="regions_list",
        parameters=[
            OpenApiParameter("q", str, description="nama (sebagian) atau kode, mis. `tanjung luar`, `52.03`, `5203012001`"),
            OpenApiParameter("level", int, description="hanya tingkat ini (4 = desa/kelurahan)"),
            OpenApiParameter("parent", str, description="tanpa `q`: anak-anak wilayah ini (kosong = provinsi)"),
            OpenApiParameter("within", str, description="dengan `q`: hanya di bawah wilayah ini"),
            OpenApiParameter("limit", int, description=f"maks. {MAX_LIMIT}, bawaan 20"),
        ],
        responses={200: OutputSerializer(many=True), 400: OpenApiResponse(description="Parameter tidak valid")},
        tags=["wilayah"],
        auth=[],
    )
    def get(self, request: Request) -> Response:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        f = params.validated_data
        if f.get("q"):
            regions = region_search(f["q"], level=f.get("level"), within=f.get("within") or None, limit=f["limit"])
        else:
            children = region_children(f.get("parent") or None)
            regions = list(children.filter(level=f["level"]) if f.get("level") else children)
        chains = region_chains(regions)
        rows = []
        for region in regions:
            row = region_payload(region)
            row["path"] = ", ".join(r.name for r in reversed(chains.get(region.code, [])))
            rows.append(row)
        return Response(rows)


class RegionDetailApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema_serializer(component_name="RegionDetailOutput")
    class OutputSerializer(RegionSerializer):
        timezone = serializers.CharField()
        zone = serializers.CharField(help_text="WIB, WITA atau WIT")
        postal_code = serializers.CharField()
        ancestors = RegionSerializer(many=True, help_text="provinsi dahulu")
        children = RegionSerializer(many=True)

    @extend_schema(
        operation_id="regions_detail",
        responses={200: OutputSerializer, 404: OpenApiResponse(description="Kode tidak dikenal")},
        tags=["wilayah"],
        auth=[],
    )
    def get(self, request: Request, code: str) -> Response:
        region, ancestors = region_with_ancestors(code)
        if region is None:
            raise exceptions.NotFound()
        body = region_payload(region)
        body.update(
            timezone=region.timezone,
            zone=ZONE_LABELS.get(region.timezone, region.timezone),
            postal_code=region.postal_code,
            ancestors=[region_payload(r) for r in ancestors],
            children=[region_payload(r) for r in region_children(region.code)],
        )
        return Response(body)
