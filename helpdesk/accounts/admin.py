"""Django admin for people and forums. Status changes go through the services (recorded, operator told)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from helpdesk.core.refusals import REFUSALS, person_message

from . import forum_services, services
from .models import Forum, ForumMembership, ForumRegion, Invitation, OperatorReview, User


class MembershipInline(admin.TabularInline):
    model = ForumMembership
    fk_name = "user"
    extra = 0
    fields = ("forum", "role", "is_active", "available", "max_open_tickets", "joined_at")
    readonly_fields = ("joined_at",)
    autocomplete_fields = ("forum",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username",
        "name",
        "email",
        "desa",
        "operator_status",
        "is_planner",
        "is_staff",
        "is_active",
        "date_joined",
    )
    list_filter = ("operator_status", "is_planner", "is_staff", "is_superuser", "is_active", "language")
    search_fields = ("username", "name", "email", "phone", "desa__name", "desa__code")
    list_select_related = ("desa",)
    autocomplete_fields = ("desa",)
    ordering = ("-date_joined",)
    inlines = [MembershipInline]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        (
            _("SID Helpdesk"),
            {
                "fields": (
                    "name",
                    "phone",
                    "desa",
                    "operator_status",
                    "is_planner",
                    "language",
                    "timezone",
                    "notification_prefs",
                )
            },
        ),
    )
    actions = ["verify_operators", "reject_operators", "sign_out_everywhere"]

    def get_inlines(self, request: HttpRequest, obj: User | None = None) -> list[type[admin.options.InlineModelAdmin]]:
        return [] if obj is None else list(self.inlines)  # the add page only asks for a username and password

    def _review(self, request: HttpRequest, queryset: QuerySet[User], decision: str) -> None:
        done = 0
        for operator in queryset.exclude(operator_status=User.OperatorStatus.NONE):
            try:
                services.operator_review(actor=request.user, operator=operator, decision=decision)  # type: ignore[arg-type]
                done += 1
            except REFUSALS as exc:
                self.message_user(request, f"{operator.username}: {person_message(exc)}", messages.WARNING)
        self.message_user(request, ngettext("%(n)d operator diperbarui dan diberi tahu.", "%(n)d operator diperbarui dan diberi tahu.", done) % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Verifikasi operator terpilih"))
    def verify_operators(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._review(request, queryset, User.OperatorStatus.VERIFIED)

    @admin.action(description=_("Tolak operator terpilih"))
    def reject_operators(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._review(request, queryset, User.OperatorStatus.REJECTED)

    @admin.action(description=_("Keluarkan dari semua perangkat"))
    def sign_out_everywhere(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.sign_out_everywhere(user=user)
        self.message_user(request, _("Sesi dan token akun terpilih sudah dicabut."), messages.SUCCESS)


class ForumRegionInline(admin.TabularInline):
    model = ForumRegion
    extra = 0
    autocomplete_fields = ("region",)


class ForumMembershipInline(admin.TabularInline):
    model = ForumMembership
    fk_name = "forum"
    extra = 0
    fields = ("user", "role", "is_active", "available", "max_open_tickets")
    autocomplete_fields = ("user",)


@admin.register(Forum)
class ForumAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "mode", "regions", "members", "telegram_chat_id", "is_active")
    list_filter = ("mode", "is_active", "parent")
    search_fields = ("name", "slug", "coverage__region__name", "coverage__region__code")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    inlines = [ForumRegionInline, ForumMembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Forum]:
        return (
            super()
            .get_queryset(request)
            .select_related("parent")
            .prefetch_related("coverage")
            .annotate(active_members=Count("memberships", distinct=True))
        )

    @admin.display(description=_("wilayah"))
    def regions(self, obj: Forum) -> str:
        return ", ".join(c.region_id for c in obj.coverage.all()) or "—"

    @admin.display(description=_("anggota"), ordering="active_members")
    def members(self, obj: Forum) -> int:
        return int(getattr(obj, "active_members", 0))


@admin.register(ForumMembership)
class ForumMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "forum", "role", "is_active", "available", "max_open_tickets", "joined_at")
    list_filter = ("role", "is_active", "available", "forum", "categories")
    search_fields = ("user__username", "user__name", "user__email", "forum__name")
    list_select_related = ("user", "forum")
    autocomplete_fields = ("user", "forum")
    filter_horizontal = ("categories",)
    actions = ["deactivate"]

    @admin.action(description=_("Nonaktifkan (tiket terbuka kembali ke antrean)"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[ForumMembership]) -> None:
        for membership in queryset.select_related("forum", "user"):
            forum_services.membership_deactivate(actor=request.user, membership=membership)  # type: ignore[arg-type]
        self.message_user(request, _("Keanggotaan terpilih dinonaktifkan."), messages.SUCCESS)


@admin.register(OperatorReview)
class OperatorReviewAdmin(admin.ModelAdmin):
    list_display = ("operator", "decision", "reviewer", "at")
    list_filter = ("decision", "at")
    search_fields = ("operator__username", "operator__name", "operator__desa__name", "reviewer__username", "note")
    list_select_related = ("operator", "reviewer")
    date_hierarchy = "at"
    readonly_fields = ("operator", "reviewer", "decision", "note", "at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # decisions are made on the operator (actions above) or on the coordinators' page


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("forum", "role", "created_by", "created_at", "expires_at", "used_by", "used_at", "revoked_at")
    list_filter = ("role", "forum", "created_at")
    search_fields = ("forum__name", "created_by__username", "used_by__username", "email")
    list_select_related = ("forum", "created_by", "used_by")
    readonly_fields = ("token_hash", "created_by", "created_at", "used_at", "used_by")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the link is shown once, on the forum's invitation page

    @admin.action(description=_("Batalkan undangan terpilih"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        open_ones = queryset.filter(used_at__isnull=True, revoked_at__isnull=True)
        for invitation in open_ones:
            forum_services.invitation_revoke(actor=request.user, invitation=invitation)  # type: ignore[arg-type]
        self.message_user(request, _("Undangan terpilih dibatalkan."), messages.SUCCESS)
