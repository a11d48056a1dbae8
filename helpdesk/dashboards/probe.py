"""The periodic check of villages' public sites: does the site answer, and which OpenSID version does it show?

Polite by construction: short time-outs, at most `MAX_BYTES` read, and one request per host per run (a run
every `EVERY`), so a provider hosting hundreds of village sites sees one request at a time from us. A dead
site is recorded (`site_status = down`), never raised. A version seen on the site is evidence like a ticket's:
it updates the record when it is newer than the record's last confirmation (it always is: it is now).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from django.db.models import Q
from django.utils import timezone

from .models import SiteStatus, Source, UsesSid, VillageAdoption, release_of
from .services import normalize_version

log = logging.getLogger(__name__)

EVERY = timedelta(minutes=10)
RECHECK_AFTER = timedelta(days=7)
BATCH = 100
TIMEOUT = httpx.Timeout(5.0, connect=3.0)
MAX_BYTES = 256 * 1024
# OpenSID shows its version in the page (footer, generator tag): "OpenSID v2410.0.0", "OpenSID 24.10".
VERSION_RE = re.compile(r"OpenSID\s*(?:versi\s*)?v?\s*(\d{2})\.?(\d{2})((?:\.\d+){0,2})", re.IGNORECASE)


@dataclass(frozen=True)
class ProbeResult:
    up: bool
    version: str = ""
    detail: str = ""


def version_in(html: str) -> str:
    match = VERSION_RE.search(html)
    if not match:
        return ""
    return f"v{match.group(1)}{match.group(2)}{match.group(3) or ''}"


def probe(url: str, client: httpx.Client) -> ProbeResult:
    """GET the page (following up to 3 redirects) and look for the version; every failure is a result."""
    try:
        with client.stream("GET", url) as response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= MAX_BYTES:
                    break
            if response.status_code >= 400:
                return ProbeResult(up=False, detail=f"HTTP {response.status_code}")
            return ProbeResult(up=True, version=version_in(body[:MAX_BYTES].decode("utf-8", "replace")))
    except httpx.HTTPError as exc:
        return ProbeResult(up=False, detail=type(exc).__name__)


def due_records(limit: int = BATCH) -> list[VillageAdoption]:
    """Records with a site not checked for a week, at most one per host."""
    stale = timezone.now() - RECHECK_AFTER
    rows = (VillageAdoption.objects.exclude(site_url="")
            .filter(Q(site_checked_at__isnull=True) | Q(site_checked_at__lt=stale))
            .order_by("site_checked_at", "desa_id")[: limit * 5])
    chosen: list[VillageAdoption] = []
    hosts: set[str] = set()
    for record in rows:
        host = (urlsplit(record.site_url).hostname or "").lower()
        if not host or host in hosts:
            continue
        hosts.add(host)
        chosen.append(record)
        if len(chosen) >= limit:
            break
    return chosen


def probe_sites(limit: int = BATCH, *, transport: httpx.BaseTransport | None = None) -> int:
    """Check the due sites once each; returns how many were checked."""
    records = due_records(limit)
    if not records:
        return 0
    now = timezone.now()
    headers = {"User-Agent": "SID-Helpdesk-probe/1 (+https://opendesa.id)"}
    with httpx.Client(timeout=TIMEOUT, follow_redirects=True, max_redirects=3, headers=headers,
                      transport=transport) as client:
        for record in records:
            result = probe(record.site_url, client)
            fields = ["site_status", "site_version", "site_checked_at"]
            record.site_status = SiteStatus.UP if result.up else SiteStatus.DOWN
            record.site_version = result.version
            record.site_checked_at = now
            if result.version:
                record.opensid_version = normalize_version(result.version)
                record.opensid_release = release_of(record.opensid_version)
                record.uses_sid = UsesSid.OPENSID
                record.confirmed_at, record.source, record.updated_at = now, Source.PROBE, now
                fields += ["opensid_version", "opensid_release", "uses_sid", "confirmed_at", "source", "updated_at"]
            if not result.up:
                log.info("village site down: %s %s (%s)", record.desa_id, record.site_url, result.detail)
            record.save(update_fields=fields)
    return len(records)
