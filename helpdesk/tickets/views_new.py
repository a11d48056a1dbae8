"""The "Lapor masalah" page: a verified operator files a ticket; an operator still waiting for verification
prepares it as a draft, filed the moment they are verified (services/drafts.py). The form works without
JavaScript: the "is this the answer?" step keeps a checked file on the server (core/held_uploads.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.accounts.access import is_pending_operator, is_verified_operator
from helpdesk.accounts.presenters import current_user
from helpdesk.categories.selectors import category_list
from helpdesk.core.held_uploads import held_upload, hold_upload, release_upload
from helpdesk.core.idempotency import FORM_FIELD, form_token, web_once, web_replay
from helpdesk.core.refusals import show_on_form
from helpdesk.core.uploads import CheckedFile

from . import services
from .extensions import ticket_form_steps
from .models import Channel, Hosting, Priority, TicketDraft, Visibility
from .services import drafts
from .views import CheckedFileField, attach_upload, rate_ok, upload_limits


def _presubmit(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any] | None:
    if request.POST.get("confirm"):
        return None
    for step in ticket_form_steps.values():
        shown = step.before(request, data)
        if shown:
            return shown
    return None


class TicketForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Judul masalah"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Uraian"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        max_length=65536,
        help_text=gettext_lazy("Apa yang Anda lakukan, apa yang terjadi, pesan galat yang muncul. Bisa memakai format sederhana: **tebal**, daftar, tautan."),
    )
    category = forms.ChoiceField(label=gettext_lazy("Kategori"))
    priority = forms.ChoiceField(label=gettext_lazy("Prioritas"), choices=Priority.choices, initial=Priority.NORMAL)
    opensid_version = forms.CharField(
        label=gettext_lazy("Versi OpenSID"), max_length=40, required=False,
        widget=forms.TextInput(attrs={"placeholder": "v2410.0.0"}),
    )
    hosting = forms.ChoiceField(label=gettext_lazy("Jenis hosting"), choices=Hosting.choices, initial=Hosting.LAINNYA)
    visibility = forms.ChoiceField(
        label=gettext_lazy("Siapa yang boleh melihat"), choices=Visibility.choices, initial=Visibility.PRIVATE,
        widget=forms.RadioSelect,
    )
    file = CheckedFileField(label=gettext_lazy("Tangkapan layar atau log (opsional)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(c.slug, c.name) for c in category_list()]
        self.fields["category"].choices = choices  # type: ignore[attr-defined]


def _held_file(request: HttpRequest, form: TicketForm) -> tuple[CheckedFile | None, str]:
    """The ticket's file: the one just sent, else the one held since the form was last shown (and its token)."""
    owner = current_user(request).pk
    fresh = form.cleaned_data.get("file") if hasattr(form, "cleaned_data") else None
    if isinstance(fresh, CheckedFile):
        return fresh, ""
    token = request.POST.get("upload_token", "")
    held = held_upload(owner_id=owner, token=token)
    return held, token if held is not None else ""


@login_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    drafting = is_pending_operator(request.user)
    if not (drafting or is_verified_operator(request.user)):
        return render(request, "tickets/not_operator.html", status=403)
    if request.method == "POST" and (replayed := web_replay(request)) is not None:
        return replayed  # the same form submitted twice: the ticket was filed by the first submit
    draft = drafts.draft_of(current_user(request)) if drafting else None
    form = TicketForm(request.POST or None, request.FILES or None, initial=_draft_initial(draft))
    presubmit = None
    valid = request.method == "POST" and form.is_valid()
    upload, token = _held_file(request, form) if request.method == "POST" else (None, "")
    if valid:
        presubmit = _presubmit(request, form.cleaned_data)
    if valid and presubmit is None and rate_ok(request, "ticket_create"):
        data = dict(form.cleaned_data)
        data.pop("file", None)
        if drafting:
            return _keep_draft(request, form, data, upload, token)

        def create() -> tuple[HttpResponse, bool]:
            try:
                ticket = services.ticket_create(reporter=current_user(request), channel=Channel.WEB, **data)
            except ValidationError as exc:
                show_on_form(form, exc)
                return _new_page(request, form, presubmit, upload, token), False
            for step in ticket_form_steps.values():
                step.after(request, ticket)
            attach_upload(request, ticket, upload)
            release_upload(owner_id=current_user(request).pk, token=token)
            messages.success(request, _("Tiket %(number)s terkirim ke %(forum)s.") % {
                "number": ticket.number, "forum": ticket.forum.name})
            return redirect(ticket.get_absolute_url()), True

        return web_once(request, create)
    return _new_page(request, form, presubmit, upload, token, draft)


def _new_page(request: HttpRequest, form: TicketForm, presubmit: Any, upload: CheckedFile | None = None,
              upload_token: str = "", draft: TicketDraft | None = None) -> HttpResponse:
    """The form, shown again with everything kept: a checked file is held on the server until the ticket files."""
    if upload is not None and not upload_token:
        upload_token = hold_upload(owner_id=current_user(request).pk, checked=upload)
    token = request.POST.get(FORM_FIELD, "") or form_token()  # kept across a re-shown form until it files
    return render(request, "tickets/new.html", {
        "form": form, "presubmit": presubmit, "form_token": token, "upload_limits": upload_limits(),
        "held": {"token": upload_token, "name": upload.name} if upload is not None else None,
        "drafting": is_pending_operator(request.user), "draft": draft,
    })


def _draft_initial(draft: TicketDraft | None) -> dict[str, Any] | None:
    if draft is None:
        return None
    names = ("title", "description", "category", "priority", "opensid_version", "hosting", "visibility")
    return {name: getattr(draft, name) for name in names}


def _keep_draft(request: HttpRequest, form: TicketForm, data: dict[str, Any], upload: CheckedFile | None,
                token: str) -> HttpResponse:
    """A pending operator's ticket is kept, not filed: nobody sees it until they are verified."""
    user = current_user(request)
    try:
        drafts.draft_save(reporter=user, upload=upload, **data)
    except ValidationError as exc:  # the same checks as filing: shown beside the fields
        show_on_form(form, exc)
        return _new_page(request, form, None, upload, token, drafts.draft_of(user))
    release_upload(owner_id=user.pk, token=token)
    messages.success(request, _("Laporan Anda tersimpan sebagai draf. Tiket akan terkirim otomatis begitu akun "
                                "Anda diverifikasi koordinator ForSID."))
    return redirect("ticket-new")



