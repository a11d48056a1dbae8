"""Server-rendered ticket pages for operators and volunteers. Every form works without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from helpdesk.accounts.access import forums_of, is_pending_operator
from helpdesk.accounts.models import User
from helpdesk.accounts.presenters import current_user
from helpdesk.categories.selectors import category_list
from helpdesk.core import ratelimit
from helpdesk.core.errors import RateLimited, StorageFull
from helpdesk.core.idempotency import FORM_FIELD, form_token, web_once, web_replay
from helpdesk.core.ids import query_id, to_id
from helpdesk.core.refusals import REFUSALS, person_message
from helpdesk.core.uploads import CheckedFile, UploadRejected, check_upload, max_upload_bytes
from helpdesk.notifications import services as notification_services

from . import access, canned, selectors, services
from .extensions import ticket_panels
from .models import Channel, Message, Priority, Rating, Status, Ticket
from .presenters import attachment_file_response, ticket_actions
from .services import drafts
from .views_edit import editable_message_ids


class CheckedFileField(forms.FileField):
    """A file field whose cleaned value is the checked file, so a refused file is an error on its own field."""

    def clean(self, data: Any, initial: Any = None) -> CheckedFile | None:
        upload = super().clean(data, initial)
        if not upload:
            return None
        try:
            return check_upload(upload.name or "", upload, declared_size=upload.size)
        except UploadRejected as exc:
            raise forms.ValidationError(str(exc.message)) from None


class ReplyForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Balasan"), widget=forms.Textarea(attrs={"rows": 5}), max_length=65536)
    internal = forms.BooleanField(label=gettext_lazy("Catatan internal (hanya relawan)"), required=False)
    file = CheckedFileField(label=gettext_lazy("Lampiran (opsional)"), required=False)


def rate_ok(request: HttpRequest, scope: str) -> bool:
    try:
        ratelimit.check(scope, current_user(request).pk)
    except RateLimited as exc:
        messages.error(request, person_message(exc))
        return False
    return True


def attach_upload(request: HttpRequest, ticket: Ticket, upload: Any, message: Message | None = None) -> bool:
    """Attach an upload (raw, or already checked by a form's CheckedFileField)."""
    if not upload:
        return True
    try:
        checked = upload if isinstance(upload, CheckedFile) else check_upload(
            upload.name or "", upload, declared_size=upload.size)
        services.attachment_add(ticket=ticket, actor=current_user(request), checked=checked, message=message)
    except UploadRejected as exc:
        messages.error(request, exc.message)
        return False
    except StorageFull as exc:
        messages.error(request, person_message(exc))
        return False
    return True


def upload_limits() -> dict[str, Any]:
    """For the file inputs' data attributes: upload-check.js refuses a file before a slow upload starts."""
    return {"max_bytes": max_upload_bytes(), "max_mb": max_upload_bytes() // (1024 * 1024)}


@login_required
def ticket_list_page(request: HttpRequest) -> HttpResponse:
    """The operator's page: their desa's tickets (and their own, wherever they were filed)."""
    filters = selectors.TicketFilters(status=[s for s in request.GET.getlist("status") if s], scope="desa")
    rows, next_cursor = selectors.ticket_list(
        user=request.user, filters=filters, cursor=request.GET.get("cursor", "") if _cursor_ok(request) else ""
    )
    pending = is_pending_operator(request.user)
    return render(request, "tickets/list.html", {
        "tickets": rows, "next_cursor": next_cursor, "statuses": Status.choices, "now": timezone.now(),
        "is_volunteer": bool(forums_of(request.user)), "pending": pending,
        "draft": drafts.draft_of(current_user(request)) if pending else None,
    })


def _cursor_ok(request: HttpRequest) -> bool:
    cursor = request.GET.get("cursor", "")
    return not cursor or selectors.decode_cursor(cursor) is not None


@login_required
def queue_page(request: HttpRequest) -> HttpResponse:
    """The volunteer's queue: their forums' tickets, with filters and a search box."""
    forum_ids = forums_of(request.user)
    if not forum_ids and not request.user.is_superuser:
        raise PermissionDenied
    g = request.GET
    show = g.get("tampil", "terbuka")
    status = [s for s in g.getlist("status") if s] or (
        [Status.BARU, Status.DITANGANI, Status.MENUNGGU] if show == "terbuka" else []
    )
    filters = selectors.TicketFilters(
        status=status,
        forum=query_id(g, "forum"),
        region=g.get("region", "").strip()[:13],
        category=g.get("category", "").strip()[:50],
        assignee={"saya": "me", "belum": "none"}.get(g.get("milik", ""), ""),
        q=g.get("q", ""),
        scope="" if request.user.is_superuser else "forums",
    )
    rows, next_cursor = selectors.ticket_list(
        user=request.user, filters=filters, cursor=g.get("cursor", "") if _cursor_ok(request) else "", limit=50
    )
    from helpdesk.accounts.models import Forum

    return render(request, "tickets/queue.html", {
        "tickets": rows, "next_cursor": next_cursor, "categories": category_list(),
        "forums": Forum.objects.filter(pk__in=forum_ids).order_by("name"),
        "statuses": Status.choices, "params": g, "show": show,
        "now": timezone.now(),
        "coordinated": Forum.objects.filter(pk__in=forums_of(request.user, "coordinator")).order_by("name"),
    })


def _sign_in_first(request: HttpRequest) -> HttpResponseRedirect | None:
    """A link from e-mail or Telegram opened while signed out: sign in, then come back (never a dead end).

    Any ticket number is answered the same way, so a signed-out visitor learns nothing about which exist;
    someone signed in who may not see the ticket still gets 404.
    """
    if request.user.is_authenticated:
        return None
    return redirect_to_login(request.get_full_path())


def ticket_page(request: HttpRequest, number: str) -> HttpResponse:
    try:
        ticket = access.access_ticket(request.user, number, by_number=True)
    except Http404:
        if (to_sign_in := _sign_in_first(request)) is not None:
            return to_sign_in
        raise
    if ticket.merged and ticket.duplicate_of_id:
        try:
            target = access.access_ticket(request.user, ticket.duplicate_of_id)
        except Http404:  # the target is not visible to this person: stay on the old page
            target = None
        if target is not None:
            return redirect(target.get_absolute_url())
    if request.user.is_authenticated:  # the ticket is open in front of them: its notifications are read
        notification_services.mark_read(user=current_user(request), ticket_id=ticket.pk)
    return render(request, "tickets/detail.html", _ticket_context(request, ticket, ReplyForm()))


def _ticket_context(request: HttpRequest, ticket: Ticket, reply_form: ReplyForm) -> dict[str, Any]:
    thread = selectors.ticket_messages(request.user, ticket)
    actions = ticket_actions(request.user, ticket)
    return {
        "ticket": ticket,
        "thread": thread,
        "attachments": [a for a in selectors.ticket_attachments(request.user, ticket) if a.message_id is None],
        # The answers that may have helped: not the reporter's (or the one resolving) own words.
        "answers": [m for m in thread if m.kind == Message.Kind.REPLY
                    and m.author_id not in {ticket.reporter_id, request.user.pk}],
        "actions": actions,
        "reply_form": reply_form,
        "upload_limits": upload_limits(),
        "form_token": request.POST.get(FORM_FIELD, "") or form_token(),
        "priorities": Priority.choices,
        "categories": category_list() if "edit" in actions else [],
        "forum_members": _forum_members(ticket) if "edit" in actions else [],
        "rating": Rating.objects.filter(ticket=ticket).first(),
        "canned_replies": canned.canned_for(current_user(request), ticket.forum_id) if "internal_note" in actions else [],
        "watching": request.user.is_authenticated and ticket.watchers.filter(pk=request.user.pk).exists(),
        # The reporter and the assignee hear about the ticket anyway: no "Ikuti tiket" for them.
        "follows_by_role": request.user.pk in {ticket.reporter_id, ticket.assignee_id},
        "panels": list(ticket_panels.values()),
        "editable": editable_message_ids(request.user, ticket, thread),
    }


def _forum_members(ticket: Ticket) -> list[User]:
    return list(
        User.objects.filter(memberships__forum_id=ticket.forum_id, memberships__is_active=True, is_active=True)
        .order_by("name", "username")
        .distinct()
    )


def _back(ticket: Ticket) -> HttpResponseRedirect:
    return redirect(ticket.get_absolute_url())


def _run(request: HttpRequest, ticket: Ticket, fn: Any, success: str, *, then: Ticket | None = None,
         **kwargs: Any) -> HttpResponseRedirect:
    """Call a service; show its Indonesian error instead of failing the page. Back to the ticket, or on success
    to `then` when given."""
    try:
        fn(ticket=ticket, actor=current_user(request), **kwargs)
    except REFUSALS as exc:
        messages.error(request, person_message(exc))
    else:
        messages.success(request, success)
        return _back(then or ticket)
    return _back(ticket)


@login_required
@require_POST
def ticket_reply(request: HttpRequest, number: str) -> HttpResponse:
    ticket = access.access_ticket(request.user, number, by_number=True)
    if (replayed := web_replay(request)) is not None:
        return replayed  # the same reply submitted twice: posted once, by the first submit
    post = request.POST.copy()
    canned_id = post.get("canned", "")
    if to_id(canned_id):
        try:
            post["body"] = canned.use(to_id(canned_id) or 0, ticket, current_user(request), edited=post.get("body", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return _back(ticket)
    form = ReplyForm(post, request.FILES)
    if not form.is_valid():  # refused whole (a refused file too): the errors next to the fields, the text kept
        return render(request, "tickets/detail.html", _ticket_context(request, ticket, form), status=400)
    if not rate_ok(request, "message_create"):
        return _back(ticket)

    def create() -> tuple[HttpResponse, bool]:
        try:
            message = services.message_create(
                ticket=ticket, author=current_user(request), body=form.cleaned_data["body"],
                internal=form.cleaned_data["internal"], channel=Channel.WEB,
            )
        except REFUSALS as exc:
            messages.error(request, person_message(exc))
            return _back(ticket), False
        attach_upload(request, ticket, form.cleaned_data.get("file"), message)
        return HttpResponseRedirect(f"{ticket.get_absolute_url()}#pesan-{message.pk}"), True

    return web_once(request, create)


def _web(post: QueryDict) -> dict[str, Any]:
    return {"channel": Channel.WEB}


def _no_arguments(post: QueryDict) -> dict[str, Any]:
    return {}


def _resolve_arguments(post: QueryDict) -> dict[str, Any]:
    answer = post.get("message", "")
    return {"message_id": to_id(answer), "channel": Channel.WEB}


def _rate_arguments(post: QueryDict) -> dict[str, Any]:
    score = post.get("score", "")
    return {"score": int(score) if score.isdigit() else 0, "comment": post.get("comment", "")}


def _update_arguments(post: QueryDict) -> dict[str, Any]:
    arguments: dict[str, Any] = {"category": post.get("category") or None, "priority": post.get("priority") or None,
                                 "channel": Channel.WEB}
    if "assignee" in post:
        assignee_id = post.get("assignee", "")
        arguments["assignee"] = User.objects.filter(pk=to_id(assignee_id) or 0).first() if assignee_id.isdigit() else None
    return arguments


def _watch(ticket: Ticket, actor: User) -> None:
    services.ticket_watch(ticket=ticket, user=actor, watch=True)


def _unwatch(ticket: Ticket, actor: User) -> None:
    services.ticket_watch(ticket=ticket, user=actor, watch=False)


@dataclass(frozen=True)
class TicketAction:
    """A button on the ticket page: the service it calls, its arguments from the form, what to say after."""

    service: Callable[..., object]
    success: str | Promise  # may name the other ticket as %(n)s
    arguments: Callable[[QueryDict], dict[str, Any]] = _web
    # Actions on two tickets: the form field with the other one's number; the service takes it by that name.
    target: str = ""
    go_to_target: bool = False


TICKET_ACTIONS: dict[str, TicketAction] = {
    "ambil": TicketAction(services.ticket_claim, gettext_lazy("Tiket ini sekarang Anda tangani.")),
    "selesai": TicketAction(services.ticket_resolve, gettext_lazy("Terima kasih! Tiket ditandai selesai."),
                            _resolve_arguments),
    "tutup": TicketAction(services.ticket_close, gettext_lazy("Tiket ditutup.")),
    "buka": TicketAction(services.ticket_reopen, gettext_lazy("Tiket dibuka kembali.")),
    "nilai": TicketAction(services.ticket_rate, gettext_lazy("Terima kasih atas penilaian Anda."), _rate_arguments),
    "duplikat": TicketAction(services.ticket_mark_duplicate, gettext_lazy("Ditandai sebagai duplikat."),
                             target="of"),
    "ikuti": TicketAction(_watch, gettext_lazy("Anda mengikuti tiket ini."), _no_arguments),
    "berhenti-ikuti": TicketAction(_unwatch, gettext_lazy("Anda berhenti mengikuti tiket ini."), _no_arguments),
    "gabung": TicketAction(services.ticket_merge, gettext_lazy("Tiket digabung ke %(n)s."), target="into",
                           go_to_target=True),
    "ubah": TicketAction(services.ticket_update, gettext_lazy("Tiket diperbarui."), _update_arguments),
}


@login_required
@require_POST
def ticket_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    ticket = access.access_ticket(request.user, number, by_number=True)
    spec = TICKET_ACTIONS.get(action)
    if spec is None:
        raise PermissionDenied
    arguments = spec.arguments(request.POST)
    success = str(spec.success)
    then = None
    if spec.target:
        try:
            other = access.access_ticket(request.user, request.POST.get(spec.target, "").strip(), by_number=True)
        except Http404:
            messages.error(request, _("Tiket tujuan tidak ditemukan."))
            return _back(ticket)
        arguments[spec.target] = other
        success %= {"n": other.number}
        then = other if spec.go_to_target else None
    return _run(request, ticket, spec.service, success, then=then, **arguments)


@login_required
@require_POST
def queue_bulk(request: HttpRequest) -> HttpResponse:
    ids = [i for i in map(to_id, request.POST.getlist("ids")) if i][:200]
    action = {"ambil": "claim", "tutup": "close"}.get(request.POST.get("aksi", ""), "")
    if not ids or not action:
        messages.error(request, _("Pilih tiket dan tindakannya."))
        return redirect("queue")
    results = services.tickets_bulk(actor=current_user(request), ids=ids, action=action, channel=Channel.WEB)
    ok = [i for i, r in results.items() if r == "ok"]
    if ok:
        messages.success(request, ngettext("%(n)d tiket diproses.", "%(n)d tiket diproses.", len(ok)) % {"n": len(ok)})
    for ticket_id, result in results.items():
        if result != "ok":
            messages.warning(request, f"#{ticket_id}: {result}")
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/antrian/") else "queue")


@login_required
def csat_page(request: HttpRequest, forum_id: int) -> HttpResponse:
    from django.shortcuts import get_object_or_404

    from helpdesk.accounts.access import can_manage_forum
    from helpdesk.accounts.models import Forum

    forum = get_object_or_404(Forum, pk=forum_id)
    if not can_manage_forum(request.user, forum):
        raise PermissionDenied
    return render(request, "tickets/csat.html", {"forum": forum, "csat": selectors.csat_for_forum(forum.pk)})


@login_required
@require_POST
def ticket_attach(request: HttpRequest, number: str) -> HttpResponse:
    ticket = access.access_ticket(request.user, number, by_number=True)
    if rate_ok(request, "attachment_create") and attach_upload(request, ticket, request.FILES.get("file")):
        messages.success(request, _("Lampiran ditambahkan."))
    return _back(ticket)


def attachment_page(request: HttpRequest, attachment_id: int) -> FileResponse:
    return attachment_file_response(request.user, attachment_id, thumbnail=request.GET.get("thumbnail") == "1")


def ticket_redirect(request: HttpRequest, ticket_id: int) -> HttpResponseRedirect:
    try:
        ticket = access.access_ticket(request.user, ticket_id)
    except Http404:
        if (to_sign_in := _sign_in_first(request)) is not None:
            return to_sign_in
        raise
    return redirect(reverse("ticket", args=[ticket.number]))
