from django.contrib import admin

from .models import Attachment, Holiday, Message, Rating, SlaPolicy, Ticket, TicketEvent


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ("kind", "author", "body", "source", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("author",)


class EventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "action", "old", "new", "channel", "note")
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "status", "priority", "category", "forum", "desa", "assignee", "created_at")
    list_filter = ("status", "priority", "category", "forum", "visibility", "hosting")
    search_fields = ("number", "title", "desa__name", "desa__code", "reporter__username")
    raw_id_fields = ("reporter", "assignee", "desa", "duplicate_of", "accepted_message")
    readonly_fields = ("number", "description_html", "created_at", "updated_at")
    filter_horizontal = ("watchers",)
    date_hierarchy = "created_at"
    inlines = [MessageInline, EventInline]
    list_select_related = ("category", "forum", "desa", "assignee")


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("name", "ticket", "content_type", "size", "uploaded_by", "created_at")
    list_filter = ("content_type",)
    search_fields = ("name", "ticket__number", "sha256")
    raw_id_fields = ("ticket", "message", "uploaded_by")


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("ticket", "score", "volunteer", "rated_by", "at")
    list_filter = ("score",)
    raw_id_fields = ("ticket", "rated_by", "volunteer")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "work_start", "work_end", "working_days")


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "region_prefix")
    list_filter = ("region_prefix",)
    search_fields = ("name",)
    date_hierarchy = "date"
