from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .codes import ancestor_codes


class Region(models.Model):
    class Kind(models.TextChoices):
        PROVINSI = "provinsi", _("Provinsi")
        KABUPATEN = "kabupaten", _("Kabupaten")
        KOTA = "kota", _("Kota")
        KECAMATAN = "kecamatan", _("Kecamatan")
        DISTRIK = "distrik", _("Distrik")
        DESA = "desa", _("Desa")
        KELURAHAN = "kelurahan", _("Kelurahan")
        DESA_ADAT = "desa_adat", _("Desa adat")

    code = models.CharField(_("kode Kemendagri"), max_length=13, primary_key=True)
    name = models.CharField(_("nama"), max_length=120)
    # Lower-cased name for case-insensitive search that can use an index on every backend.
    search_name = models.CharField(max_length=120, db_index=True, editable=False)
    level = models.PositiveSmallIntegerField(_("tingkat"), db_index=True)
    kind = models.CharField(_("jenis"), max_length=12, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("induk"), null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    timezone = models.CharField(_("zona waktu"), max_length=20)
    postal_code = models.CharField(_("kode pos"), max_length=5, blank=True, default="")

    class Meta:
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name} ({self.code})"

    @property
    def is_village(self) -> bool:
        return self.level == 4

    def ancestor_codes(self, *, include_self: bool = False) -> list[str]:
        return ancestor_codes(self.code, include_self=include_self)
