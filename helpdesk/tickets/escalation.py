"""The SLA watch: warn at 80 % of a target, and escalate up the forum tree when a target is breached.

Runs every minute on the scheduler. Each step flips its flag with a compare-and-set UPDATE inside the
transaction that does the work, so it happens exactly once however many workers run the job, and a crash
leaves it to the next run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.core.scheduler import periodic
from helpdesk.notifications.services import notify, notify_many

from . import events
from .models import OPEN_STATUSES, Message, Ticket, TicketEvent, TicketForumHistory
from .notify import coordinators

BATCH = 500

# flag → (due/warn field, condition that the target is still open, kind)
FIRST, RESOLUTION = "first", "resolution"
LABEL = {FIRST: gettext_lazy("respons pertama"), RESOLUTION: gettext_lazy("penyelesaian")}


def _open_for(which: str) -> Q:
    base = Q(status__in=OPEN_STATUSES)
    return base & Q(first_response_at__isnull=True) if which == FIRST else base


def _claim_flag(ticket_id: int, flag: str) -> bool:
    return bool(Ticket.objects.filter(pk=ticket_id, **{flag: False}).update(**{flag: True}))


def warn(ticket: Ticket, which: str) -> None:
    due = ticket.first_response_due if which == FIRST else ticket.resolution_due
    text = _("Tiket %(n)s mendekati batas %(what)s (%(due)s).") % {
        "n": ticket.number, "what": str(LABEL[which]), "due": timezone.localtime(due).strftime("%d-%m %H:%M") if due else "-"
    }
    common = {"url": ticket.get_absolute_url(), "ticket_id": ticket.pk, "group_key": f"ticket:{ticket.pk}"}
    if ticket.assignee_id:
        notify(user=ticket.assignee, event="sla_warning", text=text, **common)  # type: ignore[arg-type]
    else:
        notify_many(coordinators(ticket.forum_id), event="sla_warning", text=text, **common)
    TicketEvent.objects.create(ticket=ticket, action="sla_warning", new=which)


def escalate(ticket: Ticket, which: str) -> None:
    """Tell the coordinators and hand the ticket to the parent forum; the old forum keeps access."""
    before_forum = ticket.forum
    parent = before_forum.parent
    text = _("Tiket %(n)s melewati batas %(what)s.") % {"n": ticket.number, "what": str(LABEL[which])}
    common = {"url": ticket.get_absolute_url(), "ticket_id": ticket.pk, "group_key": f"ticket:{ticket.pk}"}
    notify_many(coordinators(before_forum.pk), event="sla_breach", text=text, **common)
    if parent is None or not parent.is_active:
        TicketEvent.objects.create(ticket=ticket, action="sla_breach", new=which, note=_("tidak ada forum induk"))
        return
    TicketForumHistory.objects.get_or_create(ticket=ticket, forum=before_forum)
    ticket.previous_forum_ids = ticket.previous_forum_ids | {before_forum.pk}
    ticket.forum = parent
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["forum", "updated_at"])
    TicketEvent.objects.create(ticket=ticket, action="escalated", old=before_forum.name, new=parent.name, note=which)
    message = _("Batas %(what)s terlewati; tiket dieskalasi dari %(old)s ke %(new)s.") % {
        "what": str(LABEL[which]), "old": before_forum.name, "new": parent.name
    }
    Message.objects.create(ticket=ticket, kind=Message.Kind.SYSTEM, body=message, body_html=message, source="system")
    notify_many(coordinators(parent.pk), event="sla_breach",
                text=_("Tiket %(n)s dieskalasi ke %(f)s.") % {"n": ticket.number, "f": parent.name}, **common)
    events.ticket_updated(ticket, {"forum_id": (before_forum.pk, parent.pk)}, None)


STEPS = [
    # flag, time field, action
    ("sla_first_warned", "first_response_warn_at", FIRST, warn),
    ("sla_resolution_warned", "resolution_warn_at", RESOLUTION, warn),
    ("sla_first_breached", "first_response_due", FIRST, escalate),
    ("sla_resolution_breached", "resolution_due", RESOLUTION, escalate),
]


def check_sla(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    done: dict[str, int] = {}
    for flag, field, which, action in STEPS:
        due = (
            Ticket.objects.filter(_open_for(which), **{flag: False, f"{field}__lte": now})
            .order_by(field)
            .values_list("pk", flat=True)[:BATCH]
        )
        count = 0
        for ticket_id in list(due):
            with transaction.atomic():
                if not _claim_flag(ticket_id, flag):
                    continue  # another worker took it
                ticket = Ticket.objects.select_related("forum__parent", "assignee", "desa", "reporter").get(pk=ticket_id)
                action(ticket, which)
                count += 1
        done[flag] = count
    return done


@periodic("tickets.sla", every=timedelta(minutes=1))
def sla_job() -> None:
    check_sla()
