"""SID adoption per child region: villages, using SID, with a verified operator, on a current version, percent.

Four grouped queries whatever the number of children: the children, villages per child, adoption records per
child and villages with a verified operator per child. A child's code is a prefix of its villages' codes, so
grouping by `substr(code, 1, len)` needs no join through the region tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import Substr

from helpdesk.accounts.models import User
from helpdesk.regions.codes import LEVEL_VILLAGE, level_of
from helpdesk.regions.models import Region

from .models import USING_SID, UsesSid, VillageAdoption, release_of
from .selectors import region_q

CODE_LENGTH = {1: 2, 2: 5, 3: 8, 4: 13}


def target_percent() -> int:
    return int(settings.ADOPTION_TARGET_PERCENT)


def current_version() -> str:
    return str(settings.ADOPTION_CURRENT_VERSION)


def current_release() -> int:
    return release_of(current_version()) or 0


@dataclass(frozen=True)
class AdoptionRow:
    code: str
    name: str
    villages: int
    using_sid: int
    opensid: int
    verified_operator: int
    current_version: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.using_sid / self.villages, 1) if self.villages else None

    @property
    def verified_percent(self) -> float | None:
        return round(100 * self.verified_operator / self.villages, 1) if self.villages else None

    def meets(self, target: int) -> bool:
        return self.percent is not None and self.percent >= target

    def as_dict(self, target: int) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "villages": self.villages, "using_sid": self.using_sid,
                "opensid": self.opensid, "verified_operator": self.verified_operator,
                "current_version": self.current_version, "percent": self.percent,
                "verified_percent": self.verified_percent, "meets_target": self.meets(target)}


@dataclass(frozen=True)
class Adoption:
    region: str
    target: int
    current_version: str
    total: AdoptionRow
    children: list[AdoptionRow]

    def as_dict(self) -> dict[str, Any]:
        return {"region": self.region or None, "target": self.target, "current_version": self.current_version,
                "total": self.total.as_dict(self.target), "results": [c.as_dict(self.target) for c in self.children]}


def _grouped(qs: Any, field_name: str, length: int, **counts: Any) -> dict[str, dict[str, int]]:
    rows = qs.annotate(child=Substr(field_name, 1, length)).values("child").annotate(**counts).order_by()
    return {r.pop("child"): r for r in rows}


def adoption_by_child(region: str) -> Adoption:
    """Adoption in each child of `region` ('' = the provinces of the country)."""
    child_level = level_of(region) + 1 if region else 1
    if child_level > LEVEL_VILLAGE:
        child_level = LEVEL_VILLAGE
        children = list(Region.objects.filter(code=region).values_list("code", "name"))
    else:
        base = Region.objects.filter(level=child_level)
        children = list((base.filter(parent_id=region) if region else base).order_by("code").values_list("code", "name"))
    length = CODE_LENGTH[child_level]
    where = region_q(region, "") if region else Q()
    villages = _grouped(Region.objects.filter(where, level=LEVEL_VILLAGE), "code", length, n=Count("code"))
    records = _grouped(
        VillageAdoption.objects.filter(region_q(region) if region else Q()), "desa_id", length,
        using=Count("pk", filter=Q(uses_sid__in=USING_SID)),
        opensid=Count("pk", filter=Q(uses_sid=UsesSid.OPENSID)),
        current=Count("pk", filter=Q(uses_sid=UsesSid.OPENSID, opensid_release__gte=current_release())),
    )
    operators = _grouped(
        User.objects.filter(region_q(region) if region else Q(), desa__isnull=False,
                            operator_status=User.OperatorStatus.VERIFIED, is_active=True),
        "desa_id", length, n=Count("desa_id", distinct=True),
    )
    rows = [
        AdoptionRow(code=code, name=name, villages=villages.get(code, {}).get("n", 0),
                    using_sid=records.get(code, {}).get("using", 0), opensid=records.get(code, {}).get("opensid", 0),
                    verified_operator=operators.get(code, {}).get("n", 0),
                    current_version=records.get(code, {}).get("current", 0))
        for code, name in children
    ]
    total = AdoptionRow(
        code=region, name="", villages=sum(r.villages for r in rows), using_sid=sum(r.using_sid for r in rows),
        opensid=sum(r.opensid for r in rows), verified_operator=sum(r.verified_operator for r in rows),
        current_version=sum(r.current_version for r in rows),
    )
    return Adoption(region=region, target=target_percent(), current_version=current_version(), total=total,
                    children=rows)
