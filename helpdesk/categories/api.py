"""GET /api/v1/categories/: the active categories, named in the caller's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import category_list


class CategoryListApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema_serializer(component_name="CategoryListOutput")
    class OutputSerializer(serializers.Serializer):
        slug = serializers.SlugField()
        name = serializers.CharField()

    @extend_schema(operation_id="categories_list", responses={200: OutputSerializer(many=True)}, tags=["kategori"], auth=[])
    def get(self, request: Request) -> Response:
        language = get_language()
        return Response([{"slug": c.slug, "name": c.display_name(language)} for c in category_list()])
