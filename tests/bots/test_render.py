"""Rendering for Telegram (issue 20): text cut with "…", foreign HTML made Telegram-safe and escaped once, times
labelled with their zone, quiet hours across midnight."""

from __future__ import annotations

from datetime import UTC, datetime, time
from unittest import mock

from bots.text import cut, telegram_html
from bots.ticket_bridge import in_quiet_hours
from bots.ticket_models import ForumTelegramSettings
from bots.ticket_render import local_time


def test_cut_marks_what_it_left_out() -> None:
    assert cut("pendek", 20) == "pendek"
    long = "kata " * 50
    out = cut(long, 40)
    assert out.endswith("…") and len(out) <= 40 and not out.endswith(" …")


def test_foreign_html_keeps_supported_tags_and_is_escaped_once() -> None:
    snippet = 'Gagal <mark>impor</mark> &quot;data&quot; &amp; <span class="x">nilai</span> a < b'
    assert telegram_html(snippet) == 'Gagal <b>impor</b> "data" &amp; nilai a &lt; b'


def test_times_carry_their_zone() -> None:
    moment = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)
    assert local_time(moment, "52.03.01.2001") == "07-12-2026 10:30 WITA"  # Lombok Timur
    assert local_time(None, "52.03.01.2001") == "-"


def test_quiet_hours_across_midnight() -> None:
    options = ForumTelegramSettings(quiet_from=time(21, 0), quiet_until=time(6, 0))
    for hour_utc, quiet in ((14, True), (21, True), (3, False)):  # WITA is UTC+8: 22:00, 05:00, 11:00
        now = datetime(2026, 12, 7, hour_utc, 0, tzinfo=UTC)
        with mock.patch("bots.ticket_bridge.timezone.now", return_value=now):
            assert in_quiet_hours(options, "52.03.01.2001") is quiet, hour_utc
    assert not in_quiet_hours(ForumTelegramSettings(), "52.03.01.2001")
