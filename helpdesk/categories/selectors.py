from __future__ import annotations

from django.db.models import QuerySet

from .models import Category


def category_list() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("position", "name")


def category_by_slug(slug: str) -> Category | None:
    return Category.objects.filter(slug=slug, is_active=True).first()
