"""Server-rendered forum pages. Readable without an account; every form works without JavaScript."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from helpdesk.accounts.access import is_verified_operator
from helpdesk.accounts.models import Forum
from helpdesk.accounts.presenters import current_user
from helpdesk.categories.selectors import category_list
from helpdesk.core import ratelimit
from helpdesk.core.errors import RateLimited
from helpdesk.core.ids import query_id, to_id
from helpdesk.core.pii import mask
from helpdesk.core.refusals import REFUSALS, person_message, show_on_form
from helpdesk.regions.models import Region
from helpdesk.tickets import access as ticket_access
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.models import Channel, Hosting, Message, Ticket

from . import access, reputation, selectors, services
from .models import FlagReason, PublicProposal

FILTER_SLUGS = {"terbaru": "latest", "belum-dijawab": "unanswered", "terjawab": "solved"}


def _run(request: HttpRequest, back: str, fn: Callable[[], Any], success: str) -> HttpResponseRedirect:
    """Call a service; show its Indonesian error instead of failing the page."""
    try:
        fn()
    except REFUSALS as exc:
        messages.error(request, person_message(exc))
    else:
        messages.success(request, success)
    return HttpResponseRedirect(back)


# --- home, search -----------------------------------------------------------------------------------------------------


def forum_home(request: HttpRequest) -> HttpResponse:
    g = request.GET
    show = g.get("tampil", "terbaru")
    which = FILTER_SLUGS.get(show, "latest")
    category = g.get("kategori", "").strip()[:50]
    q = g.get("q", "").strip()[:200]
    next_cursor = None
    if q:
        questions = selectors.search_questions(q, category=category, limit=25)
    else:
        cursor = g.get("cursor", "")
        try:
            questions, next_cursor = selectors.question_list(filter=which, category=category, cursor=cursor)
        except selectors.BadCursor:
            questions, next_cursor = selectors.question_list(filter=which, category=category)
    return render(request, "community/home.html", {
        "questions": questions, "next_cursor": next_cursor, "show": show if show in FILTER_SLUGS else "terbaru",
        "tabs": [("terbaru", _("Terbaru")), ("belum-dijawab", _("Belum dijawab")), ("terjawab", _("Terjawab"))],
        "categories": category_list(), "category": category, "q": q,
        "leaders": selectors.leaderboard(since=selectors.month_start(), limit=5),
        "can_ask": is_verified_operator(request.user),
    })


# --- asking -----------------------------------------------------------------------------------------------------------


class AskForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Pertanyaan Anda (singkat)"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Uraian"), widget=forms.Textarea(attrs={"rows": 8}), required=False, max_length=65536,
        help_text=gettext_lazy("Apa yang Anda lakukan, apa yang terjadi, pesan galat. Markdown boleh."),
    )
    category = forms.ChoiceField(label=gettext_lazy("Kategori"))
    opensid_version = forms.CharField(label=gettext_lazy("Versi OpenSID"), max_length=40, required=False,
                                      widget=forms.TextInput(attrs={"placeholder": "v2410.0.0"}))
    hosting = forms.ChoiceField(label=gettext_lazy("Jenis hosting"), choices=Hosting.choices, initial=Hosting.LAINNYA)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—")] + [(c.slug, c.name) for c in category_list()]  # type: ignore[attr-defined]


@login_required
def ask(request: HttpRequest) -> HttpResponse:
    if not is_verified_operator(request.user):
        return render(request, "tickets/not_operator.html", status=403)
    form = AskForm(request.POST or None)
    similar: list[selectors.Similar] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        wants_check = "periksa" in request.POST
        if wants_check or not request.POST.get("saran_dilihat"):
            # Without JavaScript, similar answers show before the question goes out (and on demand).
            similar = selectors.similar(f"{data['title']}\n{data['description']}")
            if wants_check and not similar:
                messages.info(request, _("Belum ada pertanyaan serupa. Silakan kirim pertanyaan Anda."))
        if not wants_check and not similar:
            try:
                ratelimit.check("ticket_create", current_user(request).pk)
            except RateLimited as exc:
                messages.error(request, person_message(exc))
            else:
                try:
                    asked = services.question_ask(reporter=current_user(request), channel=Channel.WEB, **data)
                except REFUSALS as exc:
                    show_on_form(form, exc)
                else:
                    if asked.masked:
                        messages.info(request, _("Data pribadi (%(kinds)s) disamarkan sebelum pertanyaan ditampilkan.")
                                      % {"kinds": ", ".join(asked.masked)})
                    messages.success(request, _("Pertanyaan %(n)s terbit di forum.") % {"n": asked.ticket.number})
                    return redirect(services.question_url(asked.ticket))
    return render(request, "community/ask.html", {"form": form, "similar": similar})


# --- one question -----------------------------------------------------------------------------------------------------


def _json_ld(ticket: Ticket, page: selectors.QuestionPage, request: HttpRequest) -> SafeString:
    """schema.org QAPage. A data block (type application/ld+json) is never executed, so the CSP's script-src does
    not apply to it; `<`, `>` and `&` are escaped so that no text can close the element."""

    def person(user: Any) -> dict[str, Any]:
        return {"@type": "Person", "name": user.display_name if user else _("Anonim")}

    page_url = request.build_absolute_uri(services.question_url(ticket))

    def answer(a: selectors.Answer) -> dict[str, Any]:
        return {
            "@type": "Answer", "text": a.message.body, "dateCreated": a.message.created_at.isoformat(),
            "upvoteCount": a.upvotes, "author": person(a.message.author), "url": f"{page_url}#jawaban-{a.message.pk}",
        }

    visible = [a for a in page.answers if not a.message.is_hidden]
    accepted = [a for a in visible if a.accepted]
    question: dict[str, Any] = {
        "@type": "Question", "name": ticket.title, "text": ticket.description or ticket.title,
        "answerCount": page.total if not any(a.message.is_hidden for a in page.answers) else len(visible), "dateCreated": ticket.created_at.isoformat(), "author": person(ticket.reporter),
    }
    if accepted:
        question["acceptedAnswer"] = answer(accepted[0])
    suggested = [answer(a) for a in visible if not a.accepted]
    if suggested:
        question["suggestedAnswer"] = suggested
    data = {"@context": "https://schema.org", "@type": "QAPage", "mainEntity": question}
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 - JSON with <, > and & escaped


def question_page(request: HttpRequest, number: str) -> HttpResponse:
    ticket = access.access_question(request.user, number, by_number=True)
    if not ticket.is_public:
        return redirect(ticket.get_absolute_url())  # its own people read it as a ticket
    if ticket.duplicate_of_id and "tampil" not in request.GET:
        canonical = Ticket.objects.filter(pk=ticket.duplicate_of_id).only("number", "visibility").first()
        if canonical is not None and canonical.is_public:
            return redirect(f"{services.question_url(canonical)}?dari={ticket.number}")
    page = selectors.question_page(request.user, ticket, page=_page_number(request))
    came_from = request.GET.get("dari", "").strip()[:24]
    moderator = access.is_moderator(request.user, ticket)
    can_flag = access.can_flag(request.user)
    can_comment = access.can_comment(request.user, ticket)
    _decide_tools(request.user, ticket, page, moderator=moderator, can_flag=can_flag, can_comment=can_comment)
    context = {
        "ticket": ticket,
        "page": page,
        "base": services.question_url(ticket),
        "on_page": f"&halaman={page.number}" if page.number > 1 else "",
        "page_range": range(1, page.pages + 1),
        "profiles": reverse("forum-profile", args=["x"])[:-2],
        "solved": ticket.accepted_message_id is not None and ticket.status in selectors.SOLVED_STATUSES,
        "json_ld": _json_ld(ticket, page, request),
        "came_from": came_from if came_from and Ticket.objects.filter(number=came_from, duplicate_of=ticket).exists()
        else "",
        "can_answer": ticket_access.can_reply(request.user, ticket),
        "can_comment": can_comment,
        "can_accept": access.can_accept(request.user, ticket),
        "can_vote": access.can_vote_on(request.user, ticket),
        "can_close_duplicate": access.can_close_duplicate(request.user, ticket),
        "can_flag": can_flag,
        "can_edit_question": access.can_edit(request.user, ticket, author_id=ticket.reporter_id),
        "question_history": access.can_see_history(request.user, ticket, author_id=ticket.reporter_id),
        "moderator": moderator,
        "is_volunteer": ticket_access.can_triage(request.user, ticket),
        "categories": category_list() if moderator else [],
        "moderation_log": selectors.moderation_log(ticket, limit=20) if moderator else [],
    }
    return render(request, "community/question.html", context)


def _page_number(request: HttpRequest) -> int:
    raw = request.POST.get("halaman", "") or request.GET.get("halaman", "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 10_000 else 1


def _on_page(request: HttpRequest, url: str) -> str:
    """`url` on the page of answers the visitor came from (answers past the first page are on later pages)."""
    number = _page_number(request)
    return f"{url}?halaman={number}" if number > 1 else url


def _decide_tools(user: Any, ticket: Ticket, page: selectors.QuestionPage, *, moderator: bool, can_flag: bool,
                  can_comment: bool) -> None:
    """What the viewer may do with each answer, decided once here so that the template only reads flags."""
    can_vote = access.can_vote_on(user, ticket)
    me_id = user.pk if access.signed_in(user) else None
    comment_own = access.is_member(user) and access.open_to_community(ticket)
    for a in page.answers:
        m = a.message
        own = me_id is not None and m.author_id == me_id
        a.votable = can_vote and not own and not m.is_hidden
        a.editable = access.can_edit(user, ticket, author_id=m.author_id, hidden=m.is_hidden)
        a.history = moderator or own
        a.flaggable = can_flag and not own and not m.is_hidden
        a.commentable = not m.is_hidden and (can_comment or (own and comment_own))
        m.attachment_list = list(m.attachments.all())  # type: ignore[attr-defined]
        try:
            a.author_points = m.author.forum_reputation.points if m.author else 0
        except ObjectDoesNotExist:
            a.author_points = 0


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
        "page_number": _page_number(request),
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
        "page_number": _page_number(request),
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


# --- people, leaderboards ---------------------------------------------------------------------------------------------


def profile(request: HttpRequest, username: str) -> HttpResponse:
    found = selectors.profile(username)
    if found is None:
        raise Http404
    return render(request, "community/profile.html", {
        "profile": found, "level": found.standing.level, "next_level": reputation.next_level(found.standing.points),
        "privileges": [(label, reputation.PRIVILEGES[key], found.standing.points >= reputation.PRIVILEGES[key])
                       for key, label in reputation.PRIVILEGE_LABELS.items()],
    })


def leaderboard(request: HttpRequest) -> HttpResponse:
    g = request.GET
    forum_id = query_id(g, "forum")
    forum = Forum.objects.filter(pk=forum_id, is_active=True).first() if forum_id else None
    region_code = reputation.kabupaten_of(g.get("wilayah", "").strip()[:13]) if g.get("wilayah") else ""
    region = Region.objects.filter(code=region_code).first() if region_code else None
    period = "semua" if g.get("periode") == "semua" else "bulan"
    since = selectors.month_start() if period == "bulan" else None
    return render(request, "community/leaderboard.html", {
        "leaders": selectors.leaderboard(forum_id=forum.pk if forum else None,
                                         region_code=region.code if region else "", since=since, limit=20),
        "forum": forum, "region": region, "period": period, "since": since,
        "forums": Forum.objects.filter(is_active=True).order_by("name"),
        "kabupaten": Region.objects.filter(level=2, code__in=_kabupaten_with_points()).order_by("code"),
    })


def _kabupaten_with_points() -> list[str]:
    from .models import ReputationEvent

    return list(ReputationEvent.objects.exclude(region_code="").values_list("region_code", flat=True).distinct()[:600])


# --- moderation ---------------------------------------------------------------------------------------------------------


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


# --- proposals ------------------------------------------------------------------------------------------------------------


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

