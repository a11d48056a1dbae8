"""Server-rendered community forum pages to read, and the form to ask. Readable without an account; every form
works without JavaScript. What a signed-in person does on a question (answer, vote, flag, moderate, edit, and the
edit history) is in views_actions.py."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.accounts.access import is_verified_operator
from helpdesk.accounts.models import Forum
from helpdesk.accounts.presenters import current_user
from helpdesk.categories.selectors import category_list
from helpdesk.core import ratelimit
from helpdesk.core.errors import RateLimited
from helpdesk.core.ids import query_id, to_id
from helpdesk.core.refusals import REFUSALS, person_message, show_on_form
from helpdesk.regions.models import Region
from helpdesk.tickets import access as ticket_access
from helpdesk.tickets.models import Channel, Hosting, Ticket

from . import access, reputation, selectors, services

FILTER_SLUGS = {"terbaru": "latest", "belum-dijawab": "unanswered", "terjawab": "solved"}


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


class AskForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Pertanyaan Anda (singkat)"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Uraian"), widget=forms.Textarea(attrs={"rows": 8}), required=False, max_length=65536,
        help_text=gettext_lazy("Apa yang Anda lakukan, apa yang terjadi, pesan galat. Bisa memakai format sederhana: **tebal**, daftar, tautan."),
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
    page = selectors.question_page(request.user, ticket, page=answer_page_number(request))
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


def answer_page_number(request: HttpRequest) -> int:
    raw = request.POST.get("halaman", "") or request.GET.get("halaman", "")
    number = to_id(raw)
    return number if number is not None and number < 10_000 else 1


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


def profile(request: HttpRequest, username: str) -> HttpResponse:
    found = selectors.profile(username, request.user)
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
