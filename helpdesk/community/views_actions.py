"""The community forum's forms that act on a question: answer, the per-post tools (vote, accept, flag, comment,
hide, lock, move, duplicate), edits and their history, the moderation queue and the reporter's decision on a proposal. Every form
works without JavaScript and redirects back to the page it came from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from helpdesk.accounts.presenters import current_user
from helpdesk.core import ratelimit
from helpdesk.core.errors import RateLimited
from helpdesk.core.ids import to_id
from helpdesk.core.pii import mask
from helpdesk.core.refusals import REFUSALS, person_message
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.models import Channel, Message, Ticket

from . import access, selectors, services
from .models import FlagReason, PublicProposal
from .views import answer_page_number


def _run(request: HttpRequest, back: str, fn: Callable[[], Any], success: str) -> HttpResponseRedirect:
    """Call a service; show its Indonesian error instead of failing the page."""
    try:
        fn()
    except REFUSALS as exc:
        messages.error(request, person_message(exc))
    else:
        messages.success(request, success)
    return HttpResponseRedirect(back)


def _on_page(request: HttpRequest, url: str) -> str:
    """`url` on the page of answers the visitor came from (answers past the first page are on later pages)."""
    number = answer_page_number(request)
    return f"{url}?halaman={number}" if number > 1 else url


TOOL_HEADINGS = {
    "lapor": gettext_lazy("Laporkan tulisan"),
    "komentar": gettext_lazy("Minta penjelasan"),
    "turun": gettext_lazy("Suara turun"),
    "sembunyikan": gettext_lazy("Sembunyikan"),
    "tampilkan": gettext_lazy("Tampilkan lagi"),
}


@login_required
def tool(request: HttpRequest, number: str) -> HttpResponse:
    """One small form per action on one post (flag, comment, downvote with its reason, hide), so that the question
    page does not carry a form for every action on every answer."""
    ticket = access.access_question(request.user, number, by_number=True)
    which = request.GET.get("aksi", "")
    if which not in TOOL_HEADINGS:
        raise Http404
    message = _answer_of(request, ticket)
    comment = None if message else _comment_of(request, ticket)
    quote = comment.body if comment else message.body if message else f"{ticket.title}\n\n{ticket.description}"
    back = _on_page(request, services.question_url(ticket)) + (f"#jawaban-{message.pk}" if message else "")
    return render(request, "community/tool.html", {
        "page_number": answer_page_number(request),
        "ticket": ticket, "message": message, "comment": comment, "quote": quote, "back": back,
        "base": services.question_url(ticket), "heading": TOOL_HEADINGS[which],
        "action": "suara" if which == "turun" else which, "flag_reasons": FlagReason.choices,
    })


@login_required
@require_POST
def answer(request: HttpRequest, number: str) -> HttpResponse:
    ticket = access.access_question(request.user, number, by_number=True)
    back = services.question_url(ticket)
    body = request.POST.get("body", "")
    try:
        ratelimit.check("message_create", current_user(request).pk)
    except RateLimited as exc:
        messages.error(request, person_message(exc))
        return redirect(back)
    try:
        message = ticket_services.message_create(ticket=ticket, author=current_user(request), body=body, channel=Channel.WEB)
    except REFUSALS as exc:
        messages.error(request, person_message(exc))
        return redirect(f"{back}#jawab")
    messages.success(request, _("Jawaban Anda terkirim. Terima kasih sudah membantu!"))
    return redirect(f"{back}#jawaban-{message.pk}")


def _answer_of(request: HttpRequest, ticket: Ticket) -> Message | None:
    raw = request.POST.get("message", "") or request.GET.get("jawaban", "")
    if not raw.isdigit():
        return None
    message, found = access.access_answer(request.user, to_id(raw) or 0)
    if found.pk != ticket.pk:
        raise Http404
    return message


def _comment_of(request: HttpRequest, ticket: Ticket) -> Any:
    raw = request.POST.get("comment", "") or request.GET.get("komentar", "")
    if not raw.isdigit():
        return None
    comment, found = access.access_comment(request.user, to_id(raw) or 0)
    if found.pk != ticket.pk:
        raise Http404
    return comment


@login_required
@require_POST
def question_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    ticket = access.access_question(request.user, number, by_number=True)
    user = current_user(request)
    post = request.POST
    back = services.question_url(ticket) if ticket.is_public else ticket.get_absolute_url()
    message = _answer_of(request, ticket)
    comment = _comment_of(request, ticket)
    anchor = f"{_on_page(request, back)}#jawaban-{message.pk}" if message else back
    reason = post.get("reason", "")
    if action == "terima" and message is not None:
        return _run(request, back, lambda: services.answer_accept(actor=user, ticket=ticket, message_id=message.pk),
                    _("Jawaban diterima. Pertanyaan ditandai terjawab."))
    if action == "suara" and message is not None:
        value = post.get("value", "")
        return _run(request, anchor, lambda: services.vote_cast(
            voter=user, message=message, value=int(value) if value in ("1", "-1") else 0, reason=reason),
            _("Suara Anda tercatat."))
    if action == "tarik-suara" and message is not None:
        return _run(request, anchor, lambda: services.vote_retract(voter=user, message=message), _("Suara ditarik."))
    if action == "komentar":
        return _run(request, anchor, lambda: services.comment_create(
            author=user, ticket=ticket, body=post.get("body", ""), message=message), _("Komentar terkirim."))
    if action == "lapor":
        return _run(request, anchor, lambda: services.flag_create(
            flagger=user, ticket=ticket, message=message, comment=comment, reason=post.get("flag", ""),
            note=post.get("note", "")), _("Terima kasih. Laporan Anda diteruskan ke koordinator forum."))
    if action == "duplikat":
        return _duplicate(request, ticket, user, back)
    if action in ("kunci", "buka-kunci"):
        return _run(request, back, lambda: services.question_lock(
            actor=user, ticket=ticket, locked=action == "kunci", reason=reason),
            _("Pertanyaan dikunci.") if action == "kunci" else _("Kunci dibuka."))
    if action == "pindah":
        return _run(request, back, lambda: services.question_move(
            actor=user, ticket=ticket, category=post.get("category", ""), reason=reason), _("Kategori dipindah."))
    if action == "sembunyikan":
        target = back if (message or comment) else reverse("forum-home")
        return _run(request, target, lambda: services.post_hide(
            actor=user, ticket=ticket, message=message, comment=comment, reason=reason), _("Tulisan disembunyikan."))
    if action == "tampilkan":
        return _run(request, back, lambda: services.post_unhide(
            actor=user, ticket=ticket, message=message, comment=comment, reason=reason), _("Tulisan ditampilkan lagi."))
    if action == "usulkan-publik":
        return _run(request, ticket.get_absolute_url(), lambda: services.proposal_create(
            actor=user, ticket=ticket, note=post.get("note", "")),
            _("Usulan dikirim. Tiket menjadi publik setelah pelapor menyetujui."))
    raise Http404


def _duplicate(request: HttpRequest, ticket: Ticket, user: Any, back: str) -> HttpResponseRedirect:
    raw = request.POST.get("of", "").strip().rstrip("/").rsplit("/", 1)[-1]
    try:
        of = access.access_question(request.user, raw, by_number=True)
    except Http404:
        messages.error(request, _("Pertanyaan tujuan tidak ditemukan."))
        return HttpResponseRedirect(back)
    target = f"{services.question_url(of)}?dari={ticket.number}"
    return _run(request, target, lambda: services.question_close_duplicate(
        actor=user, ticket=ticket, of=of, reason=request.POST.get("reason", "")),
        _("Ditutup sebagai duplikat dari %(n)s. Penanya sudah diberi tahu.") % {"n": of.number})


@login_required
def edit(request: HttpRequest, number: str) -> HttpResponse:
    ticket = access.access_question(request.user, number, by_number=True)
    message = _answer_of(request, ticket)
    comment = None if message else _comment_of(request, ticket)
    author_id = comment.author_id if comment else message.author_id if message else ticket.reporter_id
    hidden = bool(comment.is_hidden if comment else message.is_hidden if message else False)
    if not access.can_edit(request.user, ticket, author_id=author_id, hidden=hidden):
        raise PermissionDenied
    current = comment.body if comment else message.body if message else ticket.description
    if request.method == "POST":
        try:
            services.post_edit(editor=current_user(request), ticket=ticket, message=message, comment=comment,
                               title=request.POST.get("title", ""), body=request.POST.get("body", ""),
                               reason=request.POST.get("reason", ""))
        except REFUSALS as exc:
            messages.error(request, person_message(exc))
            current = request.POST.get("body", "")
        else:
            messages.success(request, _("Perubahan disimpan. Versi sebelumnya tersimpan di riwayat."))
            anchor = f"#jawaban-{message.pk}" if message else f"#komentar-{comment.pk}" if comment else ""
            return redirect(f"{_on_page(request, services.question_url(ticket))}{anchor}")
    return render(request, "community/edit.html", {
        "page_number": answer_page_number(request),
        "ticket": ticket, "message": message, "comment": comment, "body": current,
        "title": ticket.title if not (message or comment) else "",
    })


@login_required
def history(request: HttpRequest, number: str) -> HttpResponse:
    ticket = access.access_question(request.user, number, by_number=True)
    message = _answer_of(request, ticket)
    comment = None if message else _comment_of(request, ticket)
    author_id = comment.author_id if comment else message.author_id if message else ticket.reporter_id
    if not access.can_see_history(request.user, ticket, author_id=author_id):
        raise PermissionDenied
    return render(request, "community/history.html", {
        "ticket": ticket, "message": message, "comment": comment,
        "revisions": selectors.revisions(ticket, message=message, comment=comment),
    })


@login_required
def moderation(request: HttpRequest) -> HttpResponse:
    forum_ids = access.moderated_forum_ids(request.user)
    if forum_ids is not None and not forum_ids:
        raise PermissionDenied
    if request.method == "POST":
        raw = request.POST.get("flag", "")
        if not to_id(raw):
            raise Http404
        flag = access.access_flag(request.user, to_id(raw) or 0)
        decision = request.POST.get("decision", "")
        return _run(request, reverse("forum-moderation"), lambda: services.flag_review(
            reviewer=current_user(request), flag=flag, decision=decision, reason=request.POST.get("reason", "")),
            _("Laporan ditinjau: tulisan disembunyikan.") if decision == "uphold" else _("Laporan ditolak."))
    return render(request, "community/moderation.html", {
        "items": selectors.moderation_queue(request.user),
        "hidden": selectors.hidden_questions(request.user),
    })


@login_required
def proposal(request: HttpRequest, proposal_id: int) -> HttpResponse:
    found = access.access_proposal(request.user, proposal_id)
    ticket = found.ticket
    is_reporter = request.user.pk == ticket.reporter_id
    if request.method == "POST":
        accept = request.POST.get("decision") == "setuju"
        if accept and ticket.attachments.exists() and not request.POST.get("lampiran"):
            messages.error(request, _("Periksa dan centang pernyataan tentang lampiran terlebih dulu."))
            return redirect(request.path)
        try:
            services.proposal_decide(actor=current_user(request), proposal=found, accept=accept)
        except REFUSALS as exc:
            messages.error(request, person_message(exc))
            return redirect(request.path)
        if accept:
            messages.success(request, _("Terima kasih! Tiket Anda kini pertanyaan publik; data pribadi disamarkan."))
            return redirect(services.question_url(ticket))
        messages.info(request, _("Usulan ditolak. Tiket tetap privat."))
        return redirect(ticket.get_absolute_url())
    previews = [
        (_("Judul"), ticket.title, mask(ticket.title)[0]),
        (_("Uraian"), ticket.description, mask(ticket.description)[0]),
    ]
    return render(request, "community/proposal.html", {
        "proposal": found, "ticket": ticket, "is_reporter": is_reporter,
        "pending": found.state == PublicProposal.State.PENDING, "previews": previews,
        "attachments": list(ticket.attachments.order_by("pk")),
    })
