"""Stored XSS: markup in every free-text field that a page renders never reaches the browser as markup.

The payload goes into the fields as the services store them (Markdown fields with their rendered HTML made by
`core.markdown`, as every service does), then every page of the permission table is fetched as several roles,
plus the admin's lists and the search pages with the payload as the query."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from bots.models import TelegramChat
from bots.ticket_models import TelegramLink
from helpdesk.accounts.models import Forum
from helpdesk.community.models import Comment
from helpdesk.core.markdown import render_markdown
from helpdesk.kb.models import Entry
from helpdesk.regions.models import Region
from helpdesk.tickets.models import Attachment, Message, Ticket

from .conftest import Objects, user_for, web
from .crawl import patterns, url_of
from .test_permissions import TABLE

pytestmark = pytest.mark.django_db

PAYLOAD = ('<script>alert("xss")</script><img src=x onerror=alert(1)>"\'><svg onload=alert(1)>'
           "[klik](javascript:alert(1)) <a href=\"javascript:alert(1)\">a</a>")
# What must never appear in a page: the payload's tags or a javascript: link, live.
LIVE = re.compile(r"<script>alert|<img src=x|<svg onload|<a\b[^>]*href=[\"']?\s*javascript:", re.IGNORECASE)


def _poison(o: Objects) -> None:
    html = render_markdown(PAYLOAD)
    for ticket in (o.ticket, o.question):
        Ticket.objects.filter(pk=ticket.pk).update(title=PAYLOAD[:200], description=PAYLOAD, description_html=html)
    Message.objects.filter(ticket__in=[o.ticket, o.question]).update(body=PAYLOAD, body_html=html)
    Comment.objects.update(body=PAYLOAD, body_html=html)
    Entry.objects.update(title=PAYLOAD[:200], question=PAYLOAD, question_html=html, answer=PAYLOAD, answer_html=html)
    Attachment.objects.update(name=PAYLOAD[:200])
    get_user_model().objects.update(name=PAYLOAD[:150])
    Region.objects.update(name=PAYLOAD[:100])
    for forum in Forum.objects.all():
        Forum.objects.filter(pk=forum.pk).update(name=f"{PAYLOAD[:90]} {forum.pk}")
    TelegramLink.objects.create(user=o.world.op_a, telegram_user_id=424242, telegram_username="", telegram_name=PAYLOAD[:128])
    TelegramChat.objects.create(chat_id=-100777, type="supergroup", title=PAYLOAD)


def test_no_field_renders_as_markup_on_any_page(objects: Objects) -> None:
    _poison(objects)
    urls = [url_of(objects, p) for p in patterns() if TABLE[p.key][0] == "GET" and not p.key.startswith("admin/")]
    urls += ["/kb/cari/?q=" + PAYLOAD, "/cari/?q=" + PAYLOAD, "/forum/?q=" + PAYLOAD, "/tiket/?q=" + PAYLOAD, "/antrian/?q=" + PAYLOAD]
    urls += [f"/admin/{m}/" for m in ("tickets/ticket", "tickets/message", "accounts/user", "kb/entry", "forum/comment")]
    shown = 0
    wrong = []
    for role in ("anon", "op", "op2", "vol", "coord", "plan", "admin"):
        client = web(user_for(objects, role))
        for url in urls:
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.headers.get("Content-Type", ""):
                continue
            body = response.content.decode()
            shown += "xss" in body
            if match := LIVE.search(body):
                start = max(0, match.start() - 80)
                wrong.append(f"{url} as {role}: …{body[start:match.end() + 40]}…")
    assert shown >= 30, shown  # the payload did reach the pages (escaped)
    assert not wrong, "\n".join(wrong)
