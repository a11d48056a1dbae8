from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import OutboxJob, PeriodicJob, WorkerHeartbeat
from .outbox import retry_parked


@admin.register(OutboxJob)
class OutboxJobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "attempts", "max_attempts", "run_after", "created_at", "short_error")
    list_filter = ("status", "kind")
    search_fields = ("key", "kind", "last_error", "ordering_key")
    readonly_fields = [f.name for f in OutboxJob._meta.fields]
    actions = ["retry"]
    date_hierarchy = "created_at"

    @admin.display(description=_("galat"))
    def short_error(self, obj: OutboxJob) -> str:
        return obj.last_error.splitlines()[-1][:120] if obj.last_error else ""

    @admin.action(description=_("Coba lagi pekerjaan yang diparkir"))
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxJob]) -> None:
        count = retry_parked(list(queryset.values_list("id", flat=True)))
        self.message_user(request, ngettext("%(n)d pekerjaan dijadwalkan ulang.", "%(n)d pekerjaan dijadwalkan ulang.", count) % {"n": count}, messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PeriodicJob)
class PeriodicJobAdmin(admin.ModelAdmin):
    list_display = ("name", "interval_seconds", "next_run_at", "last_run_at", "enabled")
    list_editable = ("enabled",)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("worker_id", "hostname", "pid", "started_at", "seen_at")
