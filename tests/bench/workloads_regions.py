"""The national region import (issue 3): all 38 provinces, 83,762 desa/kelurahan, under 2 minutes per database."""

from __future__ import annotations

import time
from typing import Any

TARGET_MS = 120_000


def bench_import_regions_national(ctx: Any) -> list[dict[str, Any]]:
    """A fresh import of the whole tree, then the same import again (idempotent: nothing created or renamed).

    `--quick` imports NTB only, as a smoke run of the same code path.
    """
    from helpdesk.regions.models import Region
    from helpdesk.regions.services import import_regions

    provinces = ["52"] if ctx.quick else None
    Region.objects.filter(level=1, code__in=provinces or Region.objects.values("code")).delete()  # cascades down

    started = time.perf_counter()
    fresh = import_regions(provinces)
    fresh_ms = (time.perf_counter() - started) * 1000

    rerun: dict[str, Any] = {}

    def again() -> None:
        rerun["stats"] = import_regions(provinces)

    again_ms = ctx.timed(again, repeat=1, warmup=0)
    again_queries = ctx.count_queries(again)
    villages = Region.objects.filter(level=4).count()
    scope = "ntb" if ctx.quick else "national"
    extra = {"regions": fresh.total, "villages": villages, "created": fresh.created}
    return [
        {"name": f"regions.import_{scope}.fresh", "samples_ms": [fresh_ms], "target": f"< {TARGET_MS} ms", "extra": extra},
        {
            "name": f"regions.import_{scope}.again",
            "samples_ms": again_ms,
            "queries": again_queries,
            "target": f"< {TARGET_MS} ms",
            "extra": {"created": rerun["stats"].created, "updated": rerun["stats"].updated},
        },
    ]
