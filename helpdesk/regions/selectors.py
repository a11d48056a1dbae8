"""Reads of the region tree. Each is one query, whatever the depth."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .codes import ancestor_codes, normalize_code
from .models import Region


def region_ancestors(code: str) -> list[Region]:
    """The chain above a region, province first, in one query."""
    return list(Region.objects.filter(code__in=ancestor_codes(code)).order_by("level"))


def region_descendants(code: str) -> QuerySet[Region]:
    return Region.objects.filter(code__startswith=f"{code}.")


def region_children(code: str | None) -> QuerySet[Region]:
    if code:
        return Region.objects.filter(parent_id=code).order_by("name")
    return Region.objects.filter(level=1).order_by("name")


def region_search(query: str, *, level: int | None = None, within: str | None = None, limit: int = 20) -> list[Region]:
    """By code (`52.03`, `5203012001`) or by a part of the name; villages first when `level` is unset."""
    query = (query or "").strip()[:100]
    if not query:
        return []
    qs = Region.objects.all()
    if level:
        qs = qs.filter(level=level)
    if within:
        qs = qs.filter(Q(code=within) | Q(code__startswith=f"{within}."))
    code = normalize_code(query)
    if code:
        return list(qs.filter(Q(code=code) | Q(code__startswith=f"{code}.")).order_by("level", "code")[:limit])
    words = query.lower().split()
    for word in words:
        qs = qs.filter(search_name__contains=word)
    prefix = qs.filter(search_name__startswith=words[0]).order_by("-level", "name")[:limit]
    found = list(prefix)
    if len(found) < limit:
        seen = {r.code for r in found}
        found += [r for r in qs.order_by("-level", "name")[: limit * 2] if r.code not in seen][: limit - len(found)]
    return found


def region_chains(regions: list[Region]) -> dict[str, list[Region]]:
    """For each region, its ancestors province first, for a whole list in one query."""
    wanted = {code for r in regions for code in ancestor_codes(r.code)}
    found = {r.code: r for r in Region.objects.filter(code__in=wanted)} if wanted else {}
    return {r.code: [found[c] for c in reversed(ancestor_codes(r.code)) if c in found] for r in regions}


def region_with_ancestors(code: str) -> tuple[Region | None, list[Region]]:
    """A region and its chain (province first) in one query."""
    code = normalize_code(code) or code
    rows = {r.code: r for r in Region.objects.filter(code__in=ancestor_codes(code, include_self=True))}
    region = rows.pop(code, None)
    return region, sorted(rows.values(), key=lambda r: r.level) if region else []
