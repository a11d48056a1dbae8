from __future__ import annotations

from django.db.models import QuerySet

from .models import Category


def category_list() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("position", "name")
