"""Writes to the adoption records: the periodic recompute from what the desk knows, and coordinators' edits.

"Newest wins": a record remembers when it was last confirmed (`confirmed_at`) and by whom (`source`). The
recompute applies a ticket's version and hosting only when the ticket is newer than that confirmation, so a
coordinator's or the province's correction holds until a village files a newer ticket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.utils import timezone

from helpdesk.accounts.models import User
from helpdesk.regions.models import Region
from helpdesk.tickets.models import Hosting, Ticket

from .access import Scope, dashboard_scope
from .models import Source, UsesSid, VillageAdoption, release_of

BATCH = 1000
FIELDS = ["uses_sid", "opensid_version", "opensid_release", "hosting", "site_url", "has_verified_operator",
          "confirmed_at", "source", "updated_by", "updated_at"]


def normalize_version(raw: str) -> str:
    """`2410.0.0`, `V2410.0.0` → `v2410.0.0`; anything else is kept as written (trimmed)."""
    text = (raw or "").strip()[:40]
    return f"v{text.lstrip('vV')}" if release_of(text) is not None else text


@dataclass(frozen=True)
class Evidence:
    """What the newest tickets of one village say."""

    at: datetime
    version: str
    hosting: str


def _ticket_evidence(desa_codes: Iterable[str] | None) -> dict[str, Evidence]:
    """Per village with tickets: the newest ticket's time, and the newest given version and hosting.

    Three correlated subqueries per village, each one index probe on (desa, -id).
    """
    newest = Ticket.objects.filter(desa_id=OuterRef("code")).order_by("-id")
    villages = Region.objects.filter(level=4)
    if desa_codes is not None:
        villages = villages.filter(code__in=list(desa_codes))
    rows = (
        villages.annotate(
            last_at=Subquery(newest.values("created_at")[:1]),
            version=Subquery(newest.exclude(opensid_version="").values("opensid_version")[:1]),
            hosting=Subquery(newest.exclude(hosting=Hosting.LAINNYA).values("hosting")[:1]),
        )
        .filter(last_at__isnull=False)
        .values_list("code", "last_at", "version", "hosting")
    )
    return {code: Evidence(at=at, version=version or "", hosting=hosting or "") for code, at, version, hosting in rows}


def _apply_evidence(record: VillageAdoption, evidence: Evidence | None, verified: bool) -> bool:
    """Bring one record up to date; True when something changed."""
    before = tuple(getattr(record, name) for name in FIELDS[:-2])
    record.has_verified_operator = verified
    newer = evidence is not None and (
        record.confirmed_at is None or record.source == Source.TICKETS or evidence.at > record.confirmed_at
    )
    if evidence is not None and newer:
        # A village that files tickets about OpenSID runs OpenSID, whatever an older record said.
        record.uses_sid = UsesSid.OPENSID
        if evidence.version:
            record.opensid_version = normalize_version(evidence.version)
            record.opensid_release = release_of(record.opensid_version)
        if evidence.hosting:
            record.hosting = evidence.hosting
        record.confirmed_at, record.source = evidence.at, Source.TICKETS
    elif verified and record.uses_sid == UsesSid.UNKNOWN:
        # A verified operator signed up to the OpenSID help desk: the village runs it, version unknown.
        record.uses_sid = UsesSid.OPENSID
    return tuple(getattr(record, name) for name in FIELDS[:-2]) != before


def recompute_adoption(desa_codes: Iterable[str] | None = None) -> int:
    """Refresh the records of all villages (or the given ones) from tickets and operators; returns changes."""
    codes = list(desa_codes) if desa_codes is not None else None
    evidence = _ticket_evidence(codes)
    operators = User.objects.filter(desa__isnull=False, operator_status=User.OperatorStatus.VERIFIED, is_active=True)
    if codes is not None:
        operators = operators.filter(desa_id__in=codes)
    verified = set(operators.values_list("desa_id", flat=True).distinct())
    existing_qs = VillageAdoption.objects.all()
    if codes is not None:
        existing_qs = existing_qs.filter(desa_id__in=codes)
    existing = {r.desa_id: r for r in existing_qs}
    now = timezone.now()
    created: list[VillageAdoption] = []
    changed: list[VillageAdoption] = []
    for code in sorted(set(evidence) | verified | set(existing)):
        record = existing.get(code)
        fresh = record is None
        if record is None:
            record = VillageAdoption(desa_id=code, source=Source.TICKETS)
        if _apply_evidence(record, evidence.get(code), code in verified) or fresh:
            record.updated_at = now
            (created if fresh else changed).append(record)
    with transaction.atomic():
        VillageAdoption.objects.bulk_create(created, batch_size=BATCH, ignore_conflicts=True)
        VillageAdoption.objects.bulk_update(changed, FIELDS, batch_size=BATCH)
    return len(created) + len(changed)


def access_adoption(user: Any, desa_code: str) -> tuple[Region, VillageAdoption, Scope]:
    """The door to a village's record for editing: coordinators of its region and admins (404, 403)."""
    desa = Region.objects.filter(code=desa_code, level=4).first()
    if desa is None:
        raise Http404
    scope = dashboard_scope(user)
    if not scope.sees_people or not scope.covers(desa.code):
        raise PermissionDenied  # planners read, they don't edit
    record = VillageAdoption.objects.filter(desa=desa).first() or VillageAdoption(desa=desa)
    # The stored flag follows the hourly refresh; the page shows today's (an operator verified a minute ago).
    record.has_verified_operator = has_verified_operator(desa.code)
    return desa, record, scope


def has_verified_operator(desa_code: str) -> bool:
    return User.objects.filter(desa_id=desa_code, operator_status=User.OperatorStatus.VERIFIED, is_active=True).exists()


@transaction.atomic
def adoption_update(
    *, actor: Any, record: VillageAdoption, uses_sid: str, opensid_version: str, hosting: str, site_url: str
) -> VillageAdoption:
    """A coordinator's correction: it holds until a newer ticket says otherwise."""
    now = timezone.now()
    record.uses_sid = uses_sid
    record.opensid_version = normalize_version(opensid_version)
    record.opensid_release = release_of(record.opensid_version)
    record.hosting = hosting
    record.site_url = site_url.strip()
    record.has_verified_operator = has_verified_operator(record.desa_id)
    record.confirmed_at = record.updated_at = now
    record.source = Source.COORDINATOR
    record.updated_by = actor
    record.save()
    return record
