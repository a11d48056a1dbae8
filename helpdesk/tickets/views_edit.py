"""Changing one's own reply or internal note from the ticket page, within `access.MESSAGE_EDIT_WINDOW` (the
Telegram bridge does the same for edited messages). A plain form: it works without JavaScript."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from helpdesk.accounts.access import AnyUser, signed_in
from helpdesk.accounts.presenters import current_user
from helpdesk.core.errors import DomainError
from helpdesk.core.refusals import person_message, show_on_form

from . import access, services
from .models import Channel, Message, Ticket
from .services.common import MAX_TEXT_BYTES


class MessageEditForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Pesan"), widget=forms.Textarea(attrs={"rows": 8}),
                           max_length=MAX_TEXT_BYTES)


def editable_message_ids(user: AnyUser, ticket: Ticket, thread: Iterable[Message]) -> set[int]:
    """The messages of the thread that `user` may still change: for the "Ubah" link on the ticket page."""
    if not signed_in(user):
        return set()
    now = timezone.now()
    recent = [m for m in thread if m.author_id == user.pk and access.edit_window_open(m, now=now)]
    return {m.pk for m in recent if access.can_edit_message(user, ticket, m, now=now)}


@login_required
@require_http_methods(["GET", "POST"])
def message_edit_page(request: HttpRequest, message_id: int) -> HttpResponse:
    message, ticket = access.access_message(request.user, message_id)
    back = f"{ticket.get_absolute_url()}#pesan-{message.pk}"
    user = current_user(request)
    form = MessageEditForm(request.POST or None, initial={"body": message.body})
    try:
        access.check_edit_message(user, ticket, message)  # PermissionDenied: 403
        if request.method == "POST" and form.is_valid():
            services.message_edit(message=message, editor=user, body=form.cleaned_data["body"], channel=Channel.WEB)
            messages.success(request, _("Pesan diubah."))
            return redirect(back)
    except DomainError as exc:  # the window closed
        messages.error(request, person_message(exc))
        return redirect(back)
    except ValidationError as exc:
        show_on_form(form, exc)
    minutes = int(access.MESSAGE_EDIT_WINDOW.total_seconds() // 60)
    return render(request, "tickets/message_edit.html", {
        "ticket": ticket, "message": message, "form": form, "minutes": minutes, "back": back,
    }, status=400 if form.errors else 200)
