"""Where a new ticket goes: the forum of the desa's nearest covered region, then a volunteer in auto mode.

Each decision is recorded on the ticket's audit trail with its reason.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.access import forum_and_node_for_region
from helpdesk.accounts.models import Forum, ForumMembership, User

from .models import OPEN_STATUSES, Ticket


@dataclass(frozen=True)
class Decision:
    forum: Forum
    assignee: User | None
    reason: str


class NoForum(Exception):
    """No forum covers the desa and there is no national core forum: an admin must set one up."""


def choose_forum(desa_code: str) -> tuple[Forum, str]:
    forum, matched = forum_and_node_for_region(desa_code)
    if forum is None:
        raise NoForum(desa_code)
    if matched:
        reason = _("Desa %(desa)s dilayani %(forum)s (wilayah %(region)s).") % {
            "desa": desa_code, "forum": forum.name, "region": matched
        }
    else:
        reason = _("Tidak ada forum untuk wilayah desa %(desa)s; diteruskan ke %(forum)s.") % {
            "desa": desa_code, "forum": forum.name
        }
    return forum, reason


def _on_duty(membership: ForumMembership, tz_name: str) -> bool:
    if not membership.available:
        return False
    if membership.work_start is None or membership.work_end is None:
        return True
    local = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(tz_name)).time()
    return membership.work_start <= local < membership.work_end


def choose_volunteer(forum: Forum, ticket: Ticket) -> tuple[User | None, str]:
    """Auto mode: an available volunteer with the matching skill and the fewest open tickets, within their limit."""
    memberships = list(
        ForumMembership.objects.filter(forum=forum, is_active=True, user__is_active=True)
        .select_related("user")
        .annotate(
            open_load=Count(
                "user__assigned_tickets",
                filter=Q(user__assigned_tickets__status__in=OPEN_STATUSES),
                distinct=True,
            ),
            skilled=Count("categories", filter=Q(categories=ticket.category_id), distinct=True),
        )
        .order_by("joined_at", "pk")
    )
    tz_name = ticket.desa.timezone if ticket.desa_id else "Asia/Makassar"
    candidates = [m for m in memberships if _on_duty(m, tz_name) and m.open_load < m.max_open_tickets]
    skilled = [m for m in candidates if m.skilled]
    pool = skilled or candidates
    if not pool:
        return None, _("Mode otomatis: tidak ada relawan yang tersedia dan belum penuh; tiket menunggu di antrean.")
    best = min(pool, key=lambda m: m.open_load)
    why = _("keahlian cocok") if skilled else _("tidak ada yang berkeahlian %(cat)s") % {"cat": ticket.category.name}
    return best.user, _("Mode otomatis: %(name)s (%(why)s, %(load)d dari maks. %(max)d tiket terbuka).") % {
        "name": best.user.display_name, "why": why, "load": best.open_load, "max": best.max_open_tickets
    }


def route(ticket: Ticket) -> Decision:
    forum, reason = choose_forum(ticket.desa_id)
    assignee = None
    if forum.mode == Forum.Mode.AUTO:
        ticket.forum = forum
        assignee, why = choose_volunteer(forum, ticket)
        reason = f"{reason} {why}"
    else:
        reason = f"{reason} " + _("Mode klaim: ditawarkan ke semua relawan forum.")
    return Decision(forum=forum, assignee=assignee, reason=reason)
