"""A village's SID adoption: whether it runs OpenSID (or another SID), which version, how it is hosted.

One row per desa, keyed by its Kemendagri code. The row is filled by `services.recompute_adoption` from what
the desk already knows (verified operators, the version and hosting of the newest ticket), by coordinators'
edits and by the province's CSV import; whoever confirmed it last wins, and `source` says who that was.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.regions.models import Region
from helpdesk.tickets.models import Hosting


class UsesSid(models.TextChoices):
    OPENSID = "opensid", _("OpenSID")
    OTHER = "other", _("SID lain")
    NONE = "none", _("Belum memakai SID")
    UNKNOWN = "unknown", _("Belum diketahui")


USING_SID = (UsesSid.OPENSID, UsesSid.OTHER)


class Source(models.TextChoices):
    TICKETS = "tickets", _("Tiket dan operator")
    COORDINATOR = "coordinator", _("Koordinator")
    IMPORT = "import", _("Impor CSV provinsi")
    PROBE = "probe", _("Pemeriksaan situs")


class SiteStatus(models.TextChoices):
    UNCHECKED = "", _("Belum diperiksa")
    UP = "up", _("Situs menjawab")
    DOWN = "down", _("Situs tidak menjawab")


VERSION_RE = re.compile(r"^v?(\d{4})(?:[.\-]|$)", re.IGNORECASE)


def release_of(version: str) -> int | None:
    """`v2410.0.0` → 2410; None when the text is not an OpenSID release number."""
    match = VERSION_RE.match((version or "").strip())
    return int(match.group(1)) if match else None


class VillageAdoption(models.Model):
    desa = models.OneToOneField(
        Region, verbose_name=_("desa"), primary_key=True, on_delete=models.CASCADE, related_name="sid_adoption",
        limit_choices_to={"level": 4},
    )
    uses_sid = models.CharField(_("memakai SID"), max_length=10, choices=UsesSid.choices, default=UsesSid.UNKNOWN)
    opensid_version = models.CharField(_("versi OpenSID"), max_length=40, blank=True, default="")
    # The release (YYMM of `v2410.0.0`) as a number, so "on a current version" is one comparison on every backend.
    opensid_release = models.PositiveIntegerField(null=True, blank=True, editable=False)
    hosting = models.CharField(_("jenis hosting"), max_length=10, choices=Hosting.choices, blank=True, default="")
    site_url = models.URLField(_("alamat situs desa"), max_length=200, blank=True, default="")
    # The periodic probe of `site_url`: a dead site is a recorded fact (`down`), not an error.
    site_status = models.CharField(_("status situs"), max_length=4, choices=SiteStatus.choices, blank=True, default="")
    site_version = models.CharField(_("versi di situs"), max_length=40, blank=True, default="")
    site_checked_at = models.DateTimeField(_("situs diperiksa"), null=True, blank=True)
    has_verified_operator = models.BooleanField(_("punya operator terverifikasi"), default=False)
    confirmed_at = models.DateTimeField(_("terakhir dikonfirmasi"), null=True, blank=True)
    source = models.CharField(_("sumber"), max_length=12, choices=Source.choices, default=Source.TICKETS)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("diperbarui"), default=timezone.now)

    class Meta:
        verbose_name = _("adopsi SID desa")
        verbose_name_plural = _("adopsi SID desa")
        indexes = [models.Index(fields=["uses_sid", "desa"], name="adoption_uses_idx")]

    def __str__(self) -> str:
        return f"{self.desa_id}: {self.uses_sid}"

    @property
    def uses_any_sid(self) -> bool:
        return self.uses_sid in USING_SID


class FigureSnapshot(models.Model):
    """The dashboard's figures for one region and the default period, computed by a periodic job.

    A rollup at the coarsest grain: a province's figures over 1M tickets take seconds to aggregate, reading
    them back takes one indexed lookup. `key` names the region and period (`snapshots.snapshot_key`); a
    snapshot older than `DASHBOARD_SNAPSHOT_MAX_AGE_MINUTES` is never served.
    """

    key = models.CharField(max_length=120, primary_key=True)
    computed_at = models.DateTimeField()
    data = models.JSONField()

    class Meta:
        verbose_name = _("cuplikan angka dasbor")
        verbose_name_plural = _("cuplikan angka dasbor")

    def __str__(self) -> str:
        return f"{self.key} @ {self.computed_at:%Y-%m-%d %H:%M}"


class RollupMonth(models.Model):
    """When the rollup rows of the tickets created in one month (the desk's zone) were last rebuilt."""

    month = models.CharField(max_length=7, primary_key=True)  # YYYY-MM
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("bulan ringkasan tiket")
        verbose_name_plural = _("bulan ringkasan tiket")

    def __str__(self) -> str:
        return f"{self.month} @ {self.computed_at:%Y-%m-%d %H:%M}"


class RollupRow(models.Model):
    """What every rollup row is counted by: the month the tickets were created (YYYY-MM in the desk's zone) and
    the columns the dashboard filters on (ids, not keys: the rollup is rebuilt, never joined on write)."""

    month = models.CharField(max_length=7)
    category_id = models.BigIntegerField()
    priority = models.CharField(max_length=10)
    forum_id = models.BigIntegerField()

    class Meta:
        abstract = True


class TicketRollup(RollupRow):
    """Tickets counted per month, kabupaten, category, priority and forum (`rollup.py`, PostgreSQL).

    Both response times are kept as histograms (`expressions.BUCKETS` log-spaced buckets), so medians and p90 of
    any combination of rows are read back approximately; every count is exact as of `RollupMonth.computed_at`.
    """

    done_month = models.CharField(max_length=7, blank=True)  # finished (resolved or closed); '' while not
    kabupaten = models.CharField(max_length=5)
    opened = models.IntegerField()
    solved = models.IntegerField()
    open = models.IntegerField()
    fr_known = models.IntegerField()
    fr_breached = models.IntegerField()
    res_known = models.IntegerField()
    res_breached = models.IntegerField()
    fr_hist = ArrayField(models.IntegerField())
    res_hist = ArrayField(models.IntegerField())
    csat = ArrayField(models.IntegerField())  # tickets rated 1..5

    class Meta:
        indexes = [models.Index(fields=["month", "kabupaten"], name="dash_rollup_month_kab")]

    def __str__(self) -> str:
        return f"{self.month} {self.kabupaten}: {self.opened}"


class VillageRollup(RollupRow):
    """Tickets per month and village (for the villages that keep asking), with the same filters' columns."""

    desa_id = models.CharField(max_length=20)
    tickets = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["month", "desa_id"], name="dash_rollup_month_desa")]

    def __str__(self) -> str:
        return f"{self.month} {self.desa_id}: {self.tickets}"


class PersonRollup(RollupRow):
    """Per month, kabupaten, filters and person: tickets assigned (`kind` a) or answers accepted (`kind` x)."""

    kabupaten = models.CharField(max_length=5)
    person_id = models.BigIntegerField()
    kind = models.CharField(max_length=1)
    tickets = models.IntegerField()
    open = models.IntegerField()
    solved = models.IntegerField()
    first_n = models.IntegerField()
    first_seconds = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["month", "kabupaten"], name="dash_rollup_month_kab_person")]

    def __str__(self) -> str:
        return f"{self.month} {self.kabupaten} {self.kind}{self.person_id}: {self.tickets}"
