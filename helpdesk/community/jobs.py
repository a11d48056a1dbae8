"""The monthly leaderboard, posted to each ForSID team's group through `notifications.extensions.team_channels`
(the Telegram bridge registers its channel there, so the forum never imports it).

The periodic job runs every few hours; in the first days of a month it queues last month's board for every
forum with a Telegram group. A team channel is idempotent by its purpose key (forum and month), so later runs,
retries and several workers post it once; a worker that was down on the 1st still posts it by the 3rd.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpdesk.accounts.models import Forum
from helpdesk.core.scheduler import periodic
from helpdesk.notifications.extensions import team_channels

from . import selectors

CATCH_UP_DAYS = 3
BOARD_SIZE = 10


def escape(text: str) -> str:
    """People's text inside the post's HTML; quotes stay as typed, which chat apps accept."""
    return html.escape(text, quote=False)


def previous_month(now: datetime) -> tuple[datetime, datetime]:
    start_of_this = selectors.month_start(now)
    start_of_previous = selectors.month_start(start_of_this - timedelta(days=1))
    return start_of_previous, start_of_this


def leaderboard_text(forum: Forum, since: datetime, until: datetime, leaders: list[selectors.Leader]) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        month = formats.date_format(since, "F Y")
        lines = [
            _("<b>Penolong teratas %(forum)s, %(month)s</b>") % {"forum": escape(forum.name), "month": escape(month)},
            "",
        ]
        for rank, leader in enumerate(leaders, start=1):
            where = f" ({escape(leader.user.desa.name)})" if leader.user.desa_id and leader.user.desa else ""
            lines.append(
                ngettext("%(rank)d. %(name)s%(where)s: %(points)d poin", "%(rank)d. %(name)s%(where)s: %(points)d poin",
                         leader.points)
                % {"rank": rank, "name": escape(leader.user.display_name), "where": where, "points": leader.points}
            )
        lines += ["", _("Terima kasih sudah saling membantu. Papan lengkap: %(url)s")
                  % {"url": escape(f"{settings.SITE_URL}/forum/peringkat/?forum={forum.pk}")}]
    return "\n".join(lines)


def post_monthly_leaderboards(now: datetime | None = None) -> int:
    """Queue last month's board for every forum with a Telegram group; returns how many were queued."""
    now = now or timezone.now()
    if timezone.localtime(now).day > CATCH_UP_DAYS:
        return 0
    since, until = previous_month(now)
    queued = 0
    for forum in Forum.objects.filter(is_active=True, telegram_chat_id__isnull=False).order_by("pk"):
        leaders = selectors.leaderboard(forum_id=forum.pk, since=since, until=until, limit=BOARD_SIZE)
        if not leaders or forum.telegram_chat_id is None:
            continue
        text = leaderboard_text(forum, since, until, leaders)
        with transaction.atomic():
            for channel in team_channels.values():
                channel(forum=forum, html=text, purpose_key=f"forum-leaderboard:{forum.pk}:{since:%Y-%m}")
        queued += 1
    return queued


@periodic("forum.monthly_leaderboard", every=timedelta(hours=6))
def monthly_leaderboard() -> None:
    post_monthly_leaderboards()
