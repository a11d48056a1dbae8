from __future__ import annotations

from .defaults import DEFAULT_CATEGORIES
from .models import Category


def ensure_default_categories() -> None:
    """Create any missing default category; never overwrite an admin's edits."""
    for position, (slug, name, name_en) in enumerate(DEFAULT_CATEGORIES, start=1):
        Category.objects.get_or_create(slug=slug, defaults={"name": name, "name_en": name_en, "position": position * 10})
