"""Knowledge-base pages. Public pages (home, entry, search) need no account and no JavaScript; the editor and the
review queue are for volunteers and coordinators. Every form works without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from helpdesk.accounts.access import can_manage_forum, forums_of, is_admin
from helpdesk.accounts.models import Forum, ForumMembership, User
from helpdesk.accounts.presenters import current_user
from helpdesk.categories.selectors import category_list
from helpdesk.core.errors import RateLimited, TooLarge
from helpdesk.core.ids import to_id
from helpdesk.core.refusals import REFUSALS, person_message, show_on_form
from helpdesk.tickets.models import Ticket

from . import access, deflection, searchlog, selectors, services
from .forms import EntryForm, sign_findings, unsign_findings
from .lifecycle import state_of
from .limits import check_search_rate
from .masking import Finding, findings_from_json, with_choices
from .models import Entry, EntryStatus, EntryVote, ForumKbSettings
from .selectors import parse_search_params, run_search

PAGE_SIZE = 10


def _seo(request: HttpRequest, *, title: str, description: str, path: str, kind: str = "website",
         index: bool = True) -> dict[str, Any]:
    return {"title": title, "description": description, "canonical": f"{settings.SITE_URL}{path}", "type": kind,
            "index": index}


# --- public pages ------------------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {
        "categories": [(c, n) for c, n in selectors.category_counts() if n],
        "helpful": selectors.most_helpful(10),
        "recent": selectors.recent(8),
        "can_write": access.can_write(user),
        "is_reviewer": access.is_reviewer(user),
        "review_count": selectors.review_count(user),
        "mine": selectors.my_entries(user, limit=10) if access.can_write(user) else [],
        "candidates": selectors.publish_candidates(user) if access.can_write(user) else [],
        "deflection": selectors.deflection_stats(30) if is_admin(user) else None,
        "managed_forums": Forum.objects.filter(
            pk__in=forums_of(user, ForumMembership.Role.COORDINATOR)).order_by("name")
        if user.is_authenticated else [],
        "seo": _seo(request, title=_("Basis Pengetahuan OpenSID"), path="/kb/",
                    description=_("Jawaban atas masalah OpenSID yang sudah diselesaikan relawan ForSID: impor data, "
                                  "surat dan TTE, layanan mandiri, update, hosting. Cari dalam hitungan detik.")),
    }
    return render(request, "kb/home.html", context)


def search_page(request: HttpRequest) -> HttpResponse:
    g = request.GET
    page = g.get("halaman", "1")
    page_no = int(page) if page.isdigit() and 0 < int(page) <= 100 else 1
    context: dict[str, Any] = {
        "q": (g.get("q") or "")[:200], "params": g, "categories": category_list(), "regions": selectors.region_choices(),
        "seo": _seo(request, title=_("Cari di basis pengetahuan"), path="/kb/cari/", index=False,
                    description=_("Cari jawaban masalah OpenSID yang sudah diselesaikan.")),
    }
    status = 200
    if (g.get("q") or "").strip():
        try:
            check_search_rate(request)
            params = parse_search_params({**g.dict(), "limit": str(PAGE_SIZE),
                                          "offset": str((page_no - 1) * PAGE_SIZE)})
            results = run_search(params)
        except RateLimited as exc:
            response = render(request, "kb/search.html", {**context, "error": person_message(exc)}, status=429)
            response["Retry-After"] = str(exc.retry_after or 60)
            return response
        except TooLarge as exc:
            context["error"], status = person_message(exc), 413
        except ValidationError as exc:
            context["error"] = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            status = 400
        else:
            if page_no == 1:
                logged = searchlog.record_search(text=params.q, results=results.total, backend=results.backend,
                                                 fallback=results.fallback, channel="web", request=request)
                context["search_log"] = logged.pk
            context.update(results=results, page=page_no, start=(page_no - 1) * PAGE_SIZE + 1,
                           has_next=page_no * PAGE_SIZE < results.total and page_no < 100,
                           query_string=_query_without_page(g))
    return render(request, "kb/search.html", context, status=status)


def _query_without_page(params: Any) -> str:
    copy = params.copy()
    copy.pop("halaman", None)
    return str(copy.urlencode())


def entry_redirect(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = access.access_entry(request.user, entry_id)
    return redirect(entry.get_absolute_url(), permanent=entry.is_published)


def entry_page(request: HttpRequest, entry_id: int, slug: str) -> HttpResponse:
    entry = access.access_entry(request.user, entry_id)
    if slug != (entry.slug or "entri"):
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        return redirect(entry.get_absolute_url() + query, permanent=entry.is_published)
    user = request.user
    if entry.is_published and request.method == "GET":
        services.entry_viewed(entry)
        opened = request.GET.get(deflection.PARAM, "")
        if opened:
            deflection.record_opened(log_id=opened, session_key=request.session.session_key or "", entry=entry)
        searched = request.GET.get(searchlog.PARAM, "")
        if searched:
            searchlog.record_opened(log_id=searched, request=request, entry=entry)
    context = {
        "entry": entry,
        "state": state_of(entry),
        "my_vote": _my_vote(request, entry),
        "can_edit": access.can_edit(user, entry),
        "can_review": access.can_review(user, entry),
        "can_publish": access.can_publish(user, entry),
        "source_ticket": access.visible_source_ticket(user, entry),
        "seo": _seo(request, title=entry.title, description=selectors.meta_description(entry),
                    path=entry.get_absolute_url(), kind="article", index=entry.is_published),
    }
    return render(request, "kb/entry.html", context)


def _my_vote(request: HttpRequest, entry: Entry) -> bool | None:
    if request.user.is_authenticated:
        vote = EntryVote.objects.filter(entry=entry, user=request.user).values_list("helpful", flat=True).first()
    elif request.session.session_key:
        vote = EntryVote.objects.filter(entry=entry, user__isnull=True, session_key=request.session.session_key) \
            .values_list("helpful", flat=True).first()
    else:
        vote = None
    return vote


@require_POST
def entry_vote(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = access.access_entry(request.user, entry_id)
    choice = request.POST.get("membantu", "")
    if choice not in ("ya", "tidak") or not entry.is_published:
        messages.error(request, _("Pilih apakah entri ini membantu."))
        return redirect(entry.get_absolute_url())
    user = request.user if request.user.is_authenticated else None
    session_key = ""
    if user is None:
        if not request.session.session_key:
            request.session["kb_pemilih"] = True
            request.session.save()
        session_key = request.session.session_key or ""
    services.entry_vote(entry=entry, helpful=choice == "ya", user=user, session_key=session_key)
    messages.success(request, _("Terima kasih atas penilaian Anda."))
    return HttpResponseRedirect(f"{entry.get_absolute_url()}#membantu")


# --- the editor --------------------------------------------------------------------------------------------


def _entry_input(form: EntryForm) -> services.EntryInput:
    data = form.cleaned_data
    return services.EntryInput(
        title=data["title"], question=data["question"], answer=data["answer"], category=data["category"],
        tags=data["tags"], versions=data["versions"], origin_region=data["origin_region"],
    )


def _after_save(request: HttpRequest, saved: services.Saved) -> HttpResponseRedirect:
    entry = saved.entry
    if saved.new_findings:
        messages.warning(request, ngettext(
            "%(n)d data pribadi ditemukan dan disamarkan. Periksa daftarnya di bawah; centang \"tampilkan\" hanya "
            "bila itu bukan data pribadi.",
            "%(n)d data pribadi ditemukan dan disamarkan. Periksa daftarnya di bawah; centang \"tampilkan\" hanya "
            "bila itu bukan data pribadi.",
            len(saved.new_findings)) % {"n": len(saved.new_findings)})
    if saved.outcome == "published":
        messages.success(request, _("Entri terbit dan bisa dicari semua orang."))
        return redirect(entry.get_absolute_url())
    if saved.outcome == "review":
        messages.success(request, _("Entri diajukan. Koordinator forum akan meninjaunya sebelum terbit."))
        return redirect(entry.get_absolute_url())
    if saved.outcome == "held":
        messages.info(request, _("Belum diajukan: periksa dulu data yang baru disamarkan, lalu ajukan lagi."))
    else:
        messages.success(request, _("Tersimpan."))
    return redirect("kb-edit", entry_id=entry.pk)


@login_required
def entry_new(request: HttpRequest) -> HttpResponse:
    actor = current_user(request)
    ticket_id = request.GET.get("ticket", "")
    ticket: Ticket | None = None
    if ticket_id:
        ticket = access.access_source_ticket(actor, to_id(ticket_id) or -1)
        existing = selectors.entry_for_ticket(ticket)
        if existing is not None:
            messages.info(request, _("Tiket ini sudah punya entri basis pengetahuan."))
            if access.can_edit(actor, existing):
                return redirect("kb-edit", entry_id=existing.pk)
            return redirect(existing.get_absolute_url()) if access.can_see(actor, existing) else redirect("kb-home")
    elif not access.can_write(actor):
        raise PermissionDenied
    fixed = (ticket.desa_id, f"{ticket.desa.name} ({ticket.desa_id})") if ticket is not None else None
    forum_ids = None if is_admin(actor) else sorted(forums_of(actor))
    prefill = None
    if request.method == "POST":
        findings = unsign_findings(request.POST.get("findings_token", ""))
        form = EntryForm(request.POST, findings=findings, forum_ids=forum_ids, fixed_region=fixed)
        if form.is_valid():
            try:
                saved = services.entry_create(
                    actor=actor, data=_entry_input(form), source_ticket=ticket,
                    previous_findings=with_choices(findings, form.cleaned_data["keep"]),
                    submit=request.POST.get("aksi") == "ajukan",
                )
            except ValidationError as exc:
                show_on_form(form, exc)
            else:
                return _after_save(request, saved)
    else:
        initial: dict[str, Any] = {}
        findings: list[Finding] = []  # type: ignore[no-redef]
        if ticket is not None:
            prefill = selectors.prefill_from_ticket(ticket)
            masked = services.mask_for({"title": prefill.title, "question": prefill.question,
                                        "answer": prefill.answer}, ticket=ticket)
            findings = masked.findings
            initial = {**masked.fields, "category": prefill.category, "versions": prefill.versions,
                       "origin_region": prefill.origin_region, "findings_token": sign_findings(findings)}
        elif request.GET.get("judul"):
            # From the page of searches without an answer: the question people asked, as the new entry's start.
            asked = request.GET["judul"].strip()[:200]
            initial = {"title": asked, "question": asked}
        form = EntryForm(initial=initial, findings=findings, forum_ids=forum_ids, fixed_region=fixed)
    return render(request, "kb/edit.html", {
        "form": form, "ticket": ticket, "prefill": prefill, "entry": None,
        "can_publish": access.is_reviewer(actor) if ticket is None else _may_publish_new(actor, ticket),
        "seo": _seo(request, title=_("Entri baru"), description="", path="/kb/baru/", index=False),
    })


def _may_publish_new(actor: User, ticket: Ticket) -> bool:
    forum = services.review_forum_for(ticket.desa, actor, ticket)
    return access.can_publish_in(actor, forum.pk if forum is not None else None)


@login_required
def entry_edit(request: HttpRequest, entry_id: int) -> HttpResponse:
    actor = current_user(request)
    entry = access.access_entry(actor, entry_id, edit=True)
    findings = findings_from_json(entry.mask_findings)
    fixed = None
    if entry.source_ticket_id or entry.external_id or not access.can_write(actor):
        fixed = (entry.origin_region_id or "", str(entry.origin_region or _("— tidak ditentukan —")))
    forum_ids = None if is_admin(actor) else sorted(forums_of(actor))
    if request.method == "POST":
        form = EntryForm(request.POST, findings=findings, forum_ids=forum_ids, fixed_region=fixed)
        if form.is_valid():
            try:
                saved = services.entry_update(entry=entry, actor=actor, data=_entry_input(form),
                                              keep=form.cleaned_data["keep"], submit=request.POST.get("aksi") == "ajukan")
            except ValidationError as exc:
                show_on_form(form, exc)
            else:
                return _after_save(request, saved)
    else:
        form = EntryForm(initial={
            "title": entry.title, "question": entry.question, "answer": entry.answer,
            "category": entry.category.slug if entry.category else "", "tags": ", ".join(entry.tags or []),
            "versions": ", ".join(entry.versions or []), "origin_region": entry.origin_region_id or "",
            "keep": [f.placeholder for f in findings if not f.masked],
        }, findings=findings, forum_ids=forum_ids, fixed_region=fixed)
    return render(request, "kb/edit.html", {
        "form": form, "entry": entry, "ticket": entry.source_ticket, "state": state_of(entry),
        "can_publish": access.can_publish(actor, entry), "can_review": access.can_review(actor, entry),
        "seo": _seo(request, title=_("Ubah entri"), description="", path=f"/kb/{entry.pk}/ubah/", index=False),
    })


ACTIONS: dict[str, tuple[Callable[..., Any], Any]] = {
    "ajukan": (services.entry_submit, None),
    "terbitkan": (services.entry_publish, _("Entri terbit.")),
    "setujui": (services.entry_approve, _("Entri disetujui dan terbit.")),
    "tolak": (services.entry_reject, _("Entri dikembalikan ke penulis.")),
    "arsipkan": (services.entry_archive, _("Entri diarsipkan dan tidak lagi tampil di pencarian.")),
    "pulihkan": (services.entry_restore, _("Entri dipulihkan sebagai draf.")),
}


@login_required
@require_POST
def entry_action(request: HttpRequest, entry_id: int, action: str) -> HttpResponse:
    actor = current_user(request)
    entry = access.access_entry(actor, entry_id)
    if action not in ACTIONS:
        raise PermissionDenied
    fn, success = ACTIONS[action]
    kwargs: dict[str, Any] = {"note": request.POST.get("catatan", "")} if action == "tolak" else {}
    try:
        result = fn(entry=entry, actor=actor, **kwargs)
    except REFUSALS as exc:
        messages.error(request, person_message(exc))
    else:
        if action == "ajukan":
            success = (_("Entri terbit.") if result == "published"
                       else _("Entri diajukan. Koordinator forum akan meninjaunya sebelum terbit."))
        messages.success(request, str(success))
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) and target.startswith("/"):
        return redirect(target)
    entry.refresh_from_db()
    if entry.status == EntryStatus.PUBLISHED or access.can_see(actor, entry):
        return redirect(entry.get_absolute_url())
    return redirect("kb-home")


# --- coordinators --------------------------------------------------------------------------------------------


@login_required
def review_queue_page(request: HttpRequest) -> HttpResponse:
    actor = current_user(request)
    if not access.is_reviewer(actor):
        raise PermissionDenied
    return render(request, "kb/review.html", {
        "entries": selectors.review_queue(actor),
        "managed_forums": Forum.objects.filter(pk__in=forums_of(actor, ForumMembership.Role.COORDINATOR))
        if not is_admin(actor) else Forum.objects.filter(is_active=True),
        "seo": _seo(request, title=_("Tinjauan basis pengetahuan"), description="", path="/kb/tinjau/", index=False),
    })


@login_required
def forum_settings_page(request: HttpRequest, forum_id: int) -> HttpResponse:
    actor = current_user(request)
    forum = get_object_or_404(Forum, pk=forum_id)
    if not can_manage_forum(actor, forum):
        raise PermissionDenied
    settings_row = ForumKbSettings.objects.filter(forum=forum).first()
    if request.method == "POST":
        trusted = [i for i in map(to_id, request.POST.getlist("trusted")) if i]
        services.forum_settings_update(forum=forum, actor=actor, auto_publish=request.POST.get("auto") == "1",
                                       trusted=trusted)
        messages.success(request, _("Pengaturan basis pengetahuan disimpan."))
        return redirect("kb-settings", forum_id=forum.pk)
    members = (ForumMembership.objects.filter(forum=forum, is_active=True, user__is_active=True)
               .select_related("user").order_by("user__name", "user__username"))
    trusted_ids = set(settings_row.trusted.values_list("pk", flat=True)) if settings_row else set()
    return render(request, "kb/settings.html", {
        "forum": forum, "members": members, "trusted_ids": trusted_ids,
        "auto": bool(settings_row and settings_row.auto_publish_trusted),
        "seo": _seo(request, title=_("Pengaturan basis pengetahuan"), description="",
                    path=f"/kb/pengaturan/{forum.pk}/", index=False),
    })
