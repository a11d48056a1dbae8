from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Synonym
from .synonyms import invalidate_synonyms


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    list_display = ("rule", "enabled", "note", "updated_at")
    list_editable = ("enabled",)
    list_filter = ("enabled",)
    search_fields = ("rule", "note")

    # The analysis caches the compiled list; every change made here drops that cache at once in this
    # process (other processes pick it up within SYNONYM_CACHE_SECONDS).
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        invalidate_synonyms()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        invalidate_synonyms()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        super().delete_queryset(request, queryset)
        invalidate_synonyms()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        invalidate_synonyms()
