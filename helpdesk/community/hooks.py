"""What the forum plugs into the rest of the system, from its app's ready(). Listed in docs/community.md."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from helpdesk.accounts.extensions import NotificationEvent, notification_events, profile_sections
from helpdesk.tickets import extensions as tickets

from . import access, indexing, jobs, limits, listeners, selectors  # noqa: F401 - jobs' periodic task registers

notification_events.register("forum_answer_accepted", NotificationEvent(_("Jawaban saya diterima")))
notification_events.register(
    "forum_comment", NotificationEvent(_("Komentar pada pertanyaan atau jawaban saya di forum"), email=False)
)
notification_events.register("forum_publish_request", NotificationEvent(_("Usulan menjadikan tiket saya publik")))
notification_events.register(
    "forum_flag", NotificationEvent(_("Laporan moderasi baru di forum yang saya koordinasi"), email=False)
)

tickets.listeners.register("forum", listeners.follow_tickets)
tickets.contribution_listeners.register("forum", listeners.credit_contribution)
tickets.duplicate_rules.register("forum", access.duplicate_rule)
tickets.post_rules.register("forum", limits.post_rule)
tickets.ticket_panels.register("forum", "community/_ticket_panel.html")
profile_sections.register("forum", "community/_profile_section.html")
indexing.register()


class QuestionSearchKind:
    """Public questions in the site's one search box (`tickets.extensions.search_kinds`)."""

    label = _("Forum")

    def visible(self, ids: list[int]) -> set[int]:
        return set(selectors.public_questions().filter(pk__in=ids).values_list("pk", flat=True))

    def searched(self, request: HttpRequest, text: str, *, found: int, backend: str, fallback: bool) -> str:
        return ""


tickets.search_kinds.register(indexing.DOC_TYPE, QuestionSearchKind())
