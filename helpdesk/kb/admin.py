"""Admin: entries are read here and moved through the lifecycle with actions (which mask, index and audit through
the services); their text is edited in the editor at /kb/<id>/ubah/, never here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from helpdesk.core.refusals import REFUSALS, person_message

from . import services
from .models import DeflectionLog, Entry, ForumKbSettings


def _run(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Entry], fn: Any) -> None:
    done = 0
    for entry in queryset:
        try:
            fn(entry=entry, actor=request.user)
        except REFUSALS as exc:
            modeladmin.message_user(request, f"{entry.pk}: {person_message(exc)}", messages.WARNING)
        else:
            done += 1
    modeladmin.message_user(request, ngettext("%(n)d entri diproses.", "%(n)d entri diproses.", done) % {"n": done}, messages.SUCCESS)


@admin.action(description=_("Terbitkan"))
def publish(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
    _run(modeladmin, request, queryset, services.entry_publish)


@admin.action(description=_("Arsipkan"))
def archive(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
    _run(modeladmin, request, queryset, services.entry_archive)


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "source", "category", "forum", "helpful_score", "views", "updated_at")
    list_filter = ("status", "source", "category", "forum")
    search_fields = ("title", "external_id")
    list_select_related = ("category", "forum")
    date_hierarchy = "updated_at"
    actions = [publish, archive]
    fields = ("editor_link", "title", "status", "review_requested_at", "source", "external_id", "source_ticket",
              "origin_region", "forum", "category", "tags", "versions", "question", "answer", "helpful_yes",
              "helpful_no", "views", "author", "editor", "solved_at", "published_at", "created_at", "updated_at")
    readonly_fields = fields

    @admin.display(description=_("Penyunting"))
    def editor_link(self, obj: Entry) -> str:
        return format_html('<a href="/kb/{}/ubah/">{}</a>', obj.pk, _("Buka di penyunting"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ForumKbSettings)
class ForumKbSettingsAdmin(admin.ModelAdmin):
    list_display = ("forum", "auto_publish_trusted")
    filter_horizontal = ("trusted",)


@admin.register(DeflectionLog)
class DeflectionLogAdmin(admin.ModelAdmin):
    list_display = ("entry", "channel", "shown_count", "shown_at", "opened_at", "filed_at")
    list_filter = ("channel",)
    raw_id_fields = ("entry", "user", "ticket")
    readonly_fields = ("entry", "session_key", "user", "channel", "shown_count", "shown_at", "opened_at", "ticket",
                       "filed_at")
    date_hierarchy = "shown_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
