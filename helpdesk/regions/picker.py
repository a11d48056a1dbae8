"""The desa picker that works without JavaScript: search on the server, or walk the tree step by step.

A page that needs a desa puts `regions/_desa_picker.html` in its template with `picker_state(request.GET)`.
Every step is a plain GET link or form on the same page (`?cari=...`, `?wilayah=52.03`), and choosing a desa
leads to `?desa=52.03.01.2001`, which the page reads. `static/js/desa-picker.js` only makes it faster.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import QueryDict

from .codes import LEVEL_VILLAGE, normalize_code
from .models import Region
from .selectors import region_chains, region_children, region_search, region_with_ancestors

SEARCH_LIMIT = 30


@dataclass(frozen=True)
class Found:
    region: Region
    path: str  # "Kec. ..., Kab. ..., Provinsi" nearest first


@dataclass
class PickerState:
    query: str = ""
    results: list[Found] = field(default_factory=list)
    searched: bool = False
    trail: list[Region] = field(default_factory=list)  # province first, ending at the current node
    options: list[Region] = field(default_factory=list)  # children of the current node (provinces at the top)
    choosing_village: bool = False

    @property
    def current(self) -> Region | None:
        return self.trail[-1] if self.trail else None

    @property
    def next_level(self) -> int:
        return (self.current.level + 1) if self.current else 1


def _found(regions: list[Region]) -> list[Found]:
    chains = region_chains(regions)
    return [Found(r, ", ".join(a.name for a in reversed(chains.get(r.code, [])))) for r in regions]


def picker_state(params: QueryDict) -> PickerState:
    state = PickerState()
    state.query = (params.get("cari") or "").strip()[:100]
    if state.query:
        state.searched = True
        state.results = _found(region_search(state.query, level=LEVEL_VILLAGE, limit=SEARCH_LIMIT))
    node = normalize_code(params.get("wilayah") or "")
    if node:
        region, ancestors = region_with_ancestors(node)
        if region is not None:
            if region.level == LEVEL_VILLAGE:  # a desa given as the node: show its kecamatan's list
                state.trail = ancestors
            else:
                state.trail = [*ancestors, region]
    parent = state.current.code if state.current else None
    state.options = list(region_children(parent))
    state.choosing_village = state.next_level == LEVEL_VILLAGE
    return state
