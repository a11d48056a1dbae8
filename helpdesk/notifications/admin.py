from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "type", "text", "created_at", "read_at", "emailed_at")
    list_filter = ("type", "wants_email")
    search_fields = ("user__username", "text")
    raw_id_fields = ("user",)
