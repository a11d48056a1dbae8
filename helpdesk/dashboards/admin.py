"""Admin: adoption records are read and searched here; they change through the recompute job, coordinators'
form at /dasbor/desa/<kode>/adopsi/ and `manage.py adoption_import`, so every change records its source."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import VillageAdoption


@admin.register(VillageAdoption)
class VillageAdoptionAdmin(admin.ModelAdmin):
    list_display = ["desa", "uses_sid", "opensid_version", "hosting", "has_verified_operator", "source",
                    "confirmed_at"]
    list_filter = ["uses_sid", "hosting", "has_verified_operator", "source"]
    search_fields = ["desa__code", "desa__name", "site_url"]
    list_select_related = ["desa"]
    readonly_fields = [f.name for f in VillageAdoption._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
