from __future__ import annotations

import copy

from django.db.models import QuerySet

from helpdesk.core.refcache import RefCache

from .models import Category


def category_list() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("position", "name")


_active = RefCache("categories.active", lambda: {c.slug: c for c in Category.objects.filter(is_active=True)}, Category)


def active_category_by_slug(slug: str) -> Category | None:
    """The active category with this slug, from this process's copy (no query while no category changes)."""
    category = _active.get().get(slug)
    return copy.copy(category) if category is not None else None  # the caller may attach it to a new row
