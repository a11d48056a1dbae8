"""What the forum plugs into the rest of the system, from its app's ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from helpdesk.accounts import views as account_views
from helpdesk.accounts.preferences import NOTIFICATION_EVENTS, NotificationEvent
from helpdesk.tickets import access as ticket_access
from helpdesk.tickets import views as ticket_views

from . import access, consumers, indexing, jobs, limits  # noqa: F401 - consumers and jobs register on import

NOTIFICATION_EVENTS.setdefault("forum_answer_accepted", NotificationEvent(_("Jawaban saya diterima")))
NOTIFICATION_EVENTS.setdefault(
    "forum_comment", NotificationEvent(_("Komentar pada pertanyaan atau jawaban saya di forum"), email=False)
)
NOTIFICATION_EVENTS.setdefault("forum_publish_request", NotificationEvent(_("Usulan menjadikan tiket saya publik")))
NOTIFICATION_EVENTS.setdefault(
    "forum_flag", NotificationEvent(_("Laporan moderasi baru di forum yang saya koordinasi"), email=False)
)

if access.duplicate_rule not in ticket_access.DUPLICATE_RULES:
    ticket_access.DUPLICATE_RULES.append(access.duplicate_rule)
if limits.post_rule not in ticket_access.POST_RULES:
    ticket_access.POST_RULES.append(limits.post_rule)
indexing.register()
if "forum/_profile_section.html" not in account_views.PROFILE_SECTIONS:
    account_views.PROFILE_SECTIONS.append("forum/_profile_section.html")
if "forum/_ticket_panel.html" not in ticket_views.TICKET_PANELS:
    ticket_views.TICKET_PANELS.append("forum/_ticket_panel.html")
