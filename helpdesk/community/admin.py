"""Django admin for the forum. The records are read-only here: decisions (reviewing flags, hiding) go through the
services, so they are checked, logged and synced to search like on the site."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from helpdesk.accounts.models import User
from helpdesk.core.refusals import REFUSALS, person_message

from . import reputation, services
from .models import (
    Comment,
    Flag,
    ModerationAction,
    PublicProposal,
    Reputation,
    ReputationEvent,
    Revision,
    Vote,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _review(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Flag], decision: str) -> None:
    assert isinstance(request.user, User)
    done = 0
    seen: set[str] = set()
    for flag in queryset.filter(state=Flag.State.OPEN).select_related("ticket", "message", "comment"):
        if flag.target in seen:
            continue
        seen.add(flag.target)
        try:
            done += services.flag_review(reviewer=request.user, flag=flag, decision=decision)
        except REFUSALS as exc:
            modeladmin.message_user(request, f"{flag.target}: {person_message(exc)}", messages.ERROR)
    modeladmin.message_user(request, ngettext("%(n)d laporan ditinjau.", "%(n)d laporan ditinjau.", done) % {"n": done}, messages.SUCCESS)


@admin.action(description=_("Setujui: sembunyikan tulisan"))
def uphold(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Flag]) -> None:
    _review(modeladmin, request, queryset, "uphold")


@admin.action(description=_("Tolak laporan"))
def dismiss(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Flag]) -> None:
    _review(modeladmin, request, queryset, "dismiss")


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_display = ("target", "reason", "state", "forum", "flagger", "created_at", "reviewed_by")
    list_filter = ("state", "reason", "forum")
    search_fields = ("ticket__number", "flagger__username", "note")
    list_select_related = ("forum", "flagger", "reviewed_by")
    raw_id_fields = ("ticket", "message", "comment", "flagger", "reviewed_by")
    date_hierarchy = "created_at"
    actions = [uphold, dismiss]


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "ticket", "message", "comment", "reason")
    list_filter = ("action",)
    search_fields = ("ticket__number", "actor__username", "reason")
    list_select_related = ("actor", "ticket")
    raw_id_fields = ("ticket", "message", "comment", "actor")
    date_hierarchy = "at"


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "ticket", "message", "comment", "editor", "reason")
    search_fields = ("ticket__number", "editor__username")
    raw_id_fields = ("ticket", "message", "comment", "editor")


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "ticket", "message", "author", "is_hidden")
    list_filter = ("is_hidden",)
    search_fields = ("ticket__number", "author__username", "body")
    raw_id_fields = ("ticket", "message", "author")


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ("message", "voter", "value", "reason", "updated_at")
    list_filter = ("value",)
    search_fields = ("voter__username",)
    raw_id_fields = ("message", "voter")


@admin.register(ReputationEvent)
class ReputationEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "kind", "points", "forum", "region_code", "ticket")
    list_filter = ("kind", "forum")
    search_fields = ("user__username", "key", "region_code")
    list_select_related = ("user", "forum", "ticket")
    raw_id_fields = ("user", "ticket", "message", "forum")
    date_hierarchy = "created_at"


@admin.action(description=_("Hitung ulang dari catatan reputasi"))
def rebuild(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Reputation]) -> None:
    count = reputation.rebuild(list(queryset.values_list("user_id", flat=True)))
    modeladmin.message_user(request, ngettext("%(n)d pengguna dihitung ulang.", "%(n)d pengguna dihitung ulang.", count) % {"n": count}, messages.SUCCESS)


@admin.register(Reputation)
class ReputationAdmin(ReadOnlyAdmin):
    list_display = ("user", "points", "accepted_answers")
    search_fields = ("user__username", "user__name")
    list_select_related = ("user",)
    ordering = ("-points",)
    actions = [rebuild]


@admin.register(PublicProposal)
class PublicProposalAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "ticket", "proposed_by", "state", "decided_at")
    list_filter = ("state",)
    search_fields = ("ticket__number", "proposed_by__username")
    raw_id_fields = ("ticket", "proposed_by", "decided_by")
