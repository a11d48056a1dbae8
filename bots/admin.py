from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from helpdesk.core import outbox

from .intake import retry_failed
from .models import (
    ForumTelegramSettings,
    OutboundMessage,
    SentPart,
    TelegramChat,
    TelegramChatEvent,
    TelegramUpdate,
)
from .outbound import SEND_KIND


class SentPartInline(admin.TabularInline):
    model = SentPart
    extra = 0
    can_delete = False
    readonly_fields = ("part", "chat_id", "message_id", "thread_id", "sent_at")


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "chat_id", "state", "parts_done", "parts_total", "attempts", "created_at", "key")
    list_filter = ("state", "kind")
    search_fields = ("key", "subject", "text", "last_error")
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]
    inlines = [SentPartInline]
    actions = ["send_again"]

    @admin.action(description=_("Kirim lagi (pesan tidak pasti atau gagal)"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        count = 0
        for row in queryset.filter(state__in=[OutboundMessage.State.UNCERTAIN, OutboundMessage.State.FAILED]):
            with transaction.atomic():
                # A person decided: the part that may have arrived is sent again (it may show twice).
                OutboundMessage.objects.filter(pk=row.pk).update(
                    state=OutboundMessage.State.QUEUED, parts_done=min(row.uncertain_parts or [row.parts_done]),
                    uncertain_parts=[], sending_part=None, finished_at=None,
                )
                outbox.enqueue(SEND_KIND, {"outbound": row.pk}, key=f"telegram:{row.key}:again:{row.attempts}",
                               ordering_key=f"telegram:{row.chat_id}")
            count += 1
        self.message_user(request, ngettext("%(n)d pesan dijadwalkan kirim ulang.", "%(n)d pesan dijadwalkan kirim ulang.", count) % {"n": count}, messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TelegramUpdate)
class TelegramUpdateAdmin(admin.ModelAdmin):
    list_display = ("update_id", "kind", "chat_id", "state", "note", "source", "attempts", "received_at")
    list_filter = ("state", "source", "kind")
    search_fields = ("update_id", "note", "last_error", "held_for")
    readonly_fields = [f.name for f in TelegramUpdate._meta.fields]
    actions = ["retry"]

    @admin.action(description=_("Coba terapkan lagi"))
    def retry(self, request: HttpRequest, queryset: QuerySet[TelegramUpdate]) -> None:
        count = retry_failed(list(queryset.values_list("update_id", flat=True)))
        self.message_user(request, ngettext("%(n)d update akan diterapkan lagi.", "%(n)d update akan diterapkan lagi.", count) % {"n": count}, messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TelegramChat)
class TelegramChatAdmin(admin.ModelAdmin):
    list_display = ("chat_id", "title", "type", "is_forum", "status", "migrated_to", "bot_is_admin",
                    "can_manage_topics", "status_changed_at")
    list_filter = ("status", "type", "is_forum")
    search_fields = ("chat_id", "title")


@admin.register(TelegramChatEvent)
class TelegramChatEventAdmin(admin.ModelAdmin):
    list_display = ("at", "chat_id", "kind", "detail", "new_chat_id")
    list_filter = ("kind",)
    search_fields = ("chat_id", "detail")


@admin.register(ForumTelegramSettings)
class ForumTelegramSettingsAdmin(admin.ModelAdmin):
    list_display = ("forum", "every_message_is_reply", "post_files", "sla_warnings", "quiet_from", "quiet_until")
    list_select_related = ("forum",)
    autocomplete_fields = ("forum",)
