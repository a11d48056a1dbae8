"""The ticket list's filters as the API reads them: a value it does not know is a 400 naming the filter.

The web pages read the same filters leniently (a bookmark with an old value still opens the list); a script
that misspells a status or a forum id must not take an empty list, or every ticket, for the answer."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _
from rest_framework import exceptions

from helpdesk.categories.models import Category
from helpdesk.core.ids import query_id
from helpdesk.regions.codes import is_valid_code

from .models import Status, Visibility
from .selectors import TicketFilters


def _refuse(name: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({name: [message]})


def _one_of(name: str, value: str, choices: list[str]) -> None:
    if value not in choices:
        raise _refuse(name, _("Nilai tidak dikenal: %(value)s. Pilihan: %(choices)s.")
                      % {"value": value, "choices": ", ".join(choices)})


def list_filters(params: Mapping[str, str]) -> TicketFilters:
    statuses = [s.strip() for s in params.get("status", "").split(",") if s.strip()]
    for value in statuses:
        _one_of("status", value, list(Status.values))
    visibility = params.get("visibility", "").strip()
    if visibility:
        _one_of("visibility", visibility, list(Visibility.values))
    forum_raw = params.get("forum", "").strip()
    if forum_raw and not (forum_raw.isascii() and forum_raw.isdigit()):
        raise _refuse("forum", _("Forum harus berupa nomor."))
    assignee = params.get("assignee", "").strip()
    if assignee and assignee not in ("me", "none") and not (assignee.isascii() and assignee.isdigit()):
        raise _refuse("assignee", _("Isi dengan me, none, atau nomor id pengguna."))
    region = params.get("region", "").strip()
    if region and not is_valid_code(region):
        raise _refuse("region", _("Kode wilayah tidak valid."))
    category = params.get("category", "").strip()
    if category and not Category.objects.filter(slug=category).exists():
        raise _refuse("category", _("Kategori tidak dikenal."))
    return TicketFilters(
        status=statuses,
        forum=query_id(params, "forum"),
        region=region,
        category=category,
        assignee=assignee,
        q=params.get("q", ""),
        visibility=visibility,
    )
