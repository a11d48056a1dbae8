"""A team's canned replies on the web: its coordinators list, write, change and delete them.

Volunteers pick one in the reply form (tickets/detail.html); the server fills the placeholders when the form is
sent (canned.use), as the API's `canned` field does, so the picker needs no JavaScript.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.accounts.access import can_manage_forum
from helpdesk.accounts.models import Forum
from helpdesk.accounts.presenters import current_user
from helpdesk.core.refusals import show_on_form

from . import canned
from .models import CannedReply


class CannedForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Judul"), max_length=120)
    body = forms.CharField(label=gettext_lazy("Isi balasan"), widget=forms.Textarea(attrs={"rows": 6}),
                           max_length=20000)


def _team(request: HttpRequest, forum_id: int) -> Forum:
    forum = get_object_or_404(Forum, pk=forum_id, is_active=True)
    if not can_manage_forum(request.user, forum):
        raise PermissionDenied
    return forum


def _page(request: HttpRequest, forum: Forum, form: CannedForm, editing: CannedReply | None = None,
          status: int = 200) -> HttpResponse:
    return render(request, "tickets/canned.html", {
        "forum": forum, "form": form, "editing": editing, "replies": canned.team_canned(forum.pk),
        "shared": canned.shared_canned(),
        "placeholders": sorted(canned.PLACEHOLDERS),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def canned_page(request: HttpRequest, forum_id: int) -> HttpResponse:
    forum = _team(request, forum_id)
    form = CannedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            canned.canned_create(actor=current_user(request), forum=forum, **form.cleaned_data)
        except ValidationError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Balasan siap pakai disimpan."))
            return redirect("canned-replies", forum.pk)
    return _page(request, forum, form, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def canned_edit(request: HttpRequest, forum_id: int, reply_id: int) -> HttpResponse:
    forum = _team(request, forum_id)
    reply = get_object_or_404(CannedReply, pk=reply_id, forum=forum)
    form = CannedForm(request.POST or None, initial={"title": reply.title, "body": reply.body})
    if request.method == "POST" and form.is_valid():
        try:
            canned.canned_update(actor=current_user(request), reply=reply, **form.cleaned_data)
        except ValidationError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Balasan siap pakai disimpan."))
            return redirect("canned-replies", forum.pk)
    return _page(request, forum, form, editing=reply, status=400 if form.errors else 200)


@login_required
@require_POST
def canned_remove(request: HttpRequest, forum_id: int, reply_id: int) -> HttpResponse:
    forum = _team(request, forum_id)
    reply = get_object_or_404(CannedReply, pk=reply_id, forum=forum)
    canned.canned_delete(actor=current_user(request), reply=reply)
    messages.success(request, _("Balasan siap pakai dihapus."))
    return redirect("canned-replies", forum.pk)
