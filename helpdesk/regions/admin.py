from django.contrib import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """83,762 villages: no full COUNT on the list, search by code or name, filters by level and zone."""

    list_display = ("code", "name", "kind", "level", "parent", "timezone", "postal_code")
    list_filter = ("level", "kind", "timezone")
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    show_full_result_count = False
    raw_id_fields = ("parent",)
    readonly_fields = ("search_name",)
    ordering = ("code",)
