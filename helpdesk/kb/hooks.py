"""What the knowledge base plugs into the rest of the system, from its app's ready(): the "kb" search source, the
panel on the ticket page, the "Sebelum mengirim" step of the ticket form, the answers the Telegram bridge offers,
and its notification events. Listed in docs/kb.md."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from helpdesk.accounts.extensions import NotificationEvent, notification_events
from helpdesk.tickets import extensions as tickets
from helpdesk.tickets.models import Ticket

from . import deflection, indexing, searchlog, selectors
from .models import DeflectionLog

notification_events.register("kb_review_request", NotificationEvent(_("Entri basis pengetahuan menunggu persetujuan saya")))
notification_events.register("kb_search_digest", NotificationEvent(_("Ringkasan mingguan pencarian tanpa jawaban")))
notification_events.register("kb_reviewed", NotificationEvent(_("Entri basis pengetahuan saya disetujui atau dikembalikan")))

indexing.register()


class BeforeFiling:
    """The knowledge base's step in the ticket form (`tickets.extensions.ticket_form_steps`)."""

    def before(self, request: HttpRequest, data: dict[str, Any]) -> dict[str, Any] | None:
        """Without JavaScript, the suggestions show when the form is sent: "Sebelum mengirim, apakah ini
        jawabannya?". With JavaScript they were already shown under the form while typing (suggest.js marks the
        form), so the ticket goes through."""
        if request.POST.get("saran_dilihat"):
            return None
        hits = selectors.suggest_or_nothing(f"{data.get('title', '')}\n{data.get('description', '')}")
        if not hits:
            return None
        logs = deflection.record_shown(session_key=deflection.session_key(request), user=request.user,
                                       entry_ids=[h.entry_id for h in hits], channel=DeflectionLog.Channel.FORM)
        return {
            "template": "kb/_presubmit.html",
            "suggestions": [{"hit": h, "link": deflection.link(h.url, logs.get(h.entry_id))} for h in hits],
        }

    def after(self, request: HttpRequest, ticket: Ticket) -> None:
        deflection.record_ticket_filed(session_key=deflection.session_key(request), ticket=ticket)
        searchlog.record_ticket_filed(request=request)


class PublishedAnswers:
    """Published entries as answers (`tickets.extensions.answer_finders`), for the Telegram bridge's /cari and
    /baru."""

    def search(self, text: str, *, limit: int) -> list[tickets.Answer]:
        results = selectors.search_entries(text, limit=limit)
        searchlog.record_search(text=text, results=results.total, backend=results.backend, fallback=results.fallback,
                                channel="telegram")
        return [tickets.Answer(h.title, h.url, h.snippet) for h in results.hits]

    def suggest(self, text: str, *, limit: int) -> list[tickets.Answer]:
        return [tickets.Answer(h.title, h.url, h.snippet) for h in selectors.suggest_or_nothing(text, limit=limit)]


class KbSearchKind:
    """Published entries in the site's one search box (`tickets.extensions.search_kinds`); each search of its
    first page is logged like one of the KB's own, and the links carry the log's id (`?cari=`)."""

    label = _("Basis pengetahuan")

    def visible(self, ids: list[int]) -> set[int]:
        return selectors.published_ids(ids)

    def searched(self, request: HttpRequest, text: str, *, found: int, backend: str, fallback: bool) -> str:
        logged = searchlog.record_search(text=text, results=found, backend=backend, fallback=fallback, channel="web",
                                         request=request)
        return f"cari={logged.pk}"


tickets.ticket_panels.register("kb", "kb/_ticket_panel.html")
tickets.ticket_form_steps.register("kb", BeforeFiling())
tickets.answer_finders.register("kb", PublishedAnswers())
tickets.search_kinds.register(indexing.DOC_TYPE, KbSearchKind())
