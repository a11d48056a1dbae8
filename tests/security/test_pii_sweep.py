"""Personal-data sweep: NIK, KK and phone numbers written into private tickets, messages, attachments' names,
profiles and Telegram names never come out where the public (or a Telegram group) can read them.

Looked at: every page and API response an anonymous visitor gets (the permission table's GET rows), the search
pages and APIs queried with the numbers themselves, every log line written meanwhile, and every message the bot
sent to the forum's Telegram group (the fake Bot API records them). The operator's own pages may show them."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from bots.ticket_models import TelegramLink
from helpdesk.accounts.models import Forum, User
from tests.bots.conftest import settle
from tests.fake_telegram import FakeTelegram
from tests.tickets.conftest import png_bytes

from .conftest import Objects
from .crawl import patterns, url_of
from .test_permissions import TABLE

pytestmark = pytest.mark.django_db(transaction=True)

NIK, KK = "5203014107850003", "5203012209110007"
PHONES = ["+6281234567890", "081298765432"]
SECRETS = [NIK, KK, *PHONES]
# A number split by spaces, dots or dashes is still the number.
FOUND = re.compile("|".join(r"[\s.-]?".join(s) for s in [NIK, KK, "81234567890", "81298765432"]).replace("+", r"\+"))


def _seed(o: Objects) -> list[str]:
    """The numbers, everywhere a person may write them privately; the urls that should show them to op_a."""
    w = o.world
    # The display name is public by design (forum profile); the phone number and Telegram name are not.
    User.objects.filter(pk=w.op_a.pk).update(phone=PHONES[0])
    TelegramLink.objects.create(user=w.op_a, telegram_user_id=5150, telegram_name=f"Op {PHONES[1]}")
    api = APIClient()
    api.force_authenticate(User.objects.get(pk=w.op_a.pk))
    created = api.post("/api/v1/tickets/", {
        "title": f"Data ganda NIK {NIK}", "category": "kependudukan", "visibility": "private",
        "description": f"Warga NIK {NIK}, KK {KK}, HP {PHONES[0]} / {PHONES[1]} tercatat dua kali.",
    }, format="json")
    assert created.status_code == 201, created.content
    ticket_id = created.json()["id"]
    replied = api.post(f"/api/v1/tickets/{ticket_id}/messages/", {"body": f"KK-nya {KK}, hubungi {PHONES[1]}"},
                       format="json")
    assert replied.status_code == 201, replied.content
    uploaded = api.post(f"/api/v1/tickets/{ticket_id}/attachments/",
                        {"file": SimpleUploadedFile(f"ktp-{NIK}.png", png_bytes(), content_type="image/png")})
    assert uploaded.status_code == 201, uploaded.content
    vol = APIClient()
    vol.force_authenticate(User.objects.get(pk=w.vol_lotim.pk))
    assert vol.post(f"/api/v1/tickets/{ticket_id}/messages/", {"body": f"Sudah dicek NIK {NIK}"},
                    format="json").status_code == 201
    return [f"/api/v1/tickets/{ticket_id}/"]


def _public_urls(o: Objects) -> list[str]:
    urls = []
    for p in patterns():
        method, row = TABLE[p.key]
        named = dict(part.split("=", 1) for part in row.split())
        if method == "GET" and named.get("anon", named.get("*")) == "200":
            urls.append(url_of(o, p))
    for secret in map(quote, SECRETS):
        urls += [f"/api/v1/kb/search/?q={secret}", f"/api/v1/kb/suggest/?q={secret}", f"/kb/cari/?q={secret}",
                 f"/cari/?q={secret}", f"/forum/?q={secret}", f"/api/v1/forum/questions/?q={secret}", f"/api/v1/tickets/?q={secret}"]
    urls += ["/api/v1/tickets/", "/api/v1/forum/questions/", f"/forum/pengguna/{o.world.op_a.username}/",
             f"/api/v1/forum/users/{o.world.op_a.username}/"]
    return urls


def test_personal_numbers_never_reach_the_public_logs_or_telegram_groups(
    objects: Objects, bridge: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    telegram = bridge
    group = telegram.create_supergroup("ForSID Lotim", forum=True, members=[], bot_admin=True, can_manage_topics=True)
    Forum.objects.filter(pk=objects.world.lotim.pk).update(telegram_chat_id=group)
    # The production level (LOG_LEVEL's default). At DEBUG, python-telegram-bot logs each request it sends.
    caplog.set_level(logging.INFO)

    own = _seed(objects)
    settle()  # the bridge posts the new ticket and the replies to the forum's group

    texts = telegram.bot_texts(group)
    assert texts, "the group heard of the ticket (else this test checks nothing)"
    leaked = [t for t in texts if FOUND.search(t)]
    assert not leaked, leaked
    # Since the bridge's rework the card carries the description, the attachment its name as the caption and
    # the replies are relayed: each reached the group with its numbers masked, not left out.
    heard = "\n".join(texts)
    assert all(mark in heard for mark in ("NIK [NIK_1], KK [KK_1], HP [PHONE_1]", "ktp-[NIK_1]", "KK-nya [KK_1]",
                                          "dicek NIK [NIK_1]")), texts

    anon = Client()
    wrong = []
    for url in _public_urls(objects):
        response = anon.get(url)
        body = response.content.decode(errors="replace")
        for secret in SECRETS:  # a search page may repeat the visitor's own query; results may not hold it
            if f"q={quote(secret)}" in url:
                body = body.replace(secret.lstrip("+"), "")  # in the form and in links, "+" written as %2B
        if FOUND.search(body):
            wrong.append(f"{url} ({response.status_code})")
    assert not wrong, "public responses with personal numbers:\n" + "\n".join(wrong)

    # The owner still sees them (the sweep would pass vacuously if the seeding had failed).
    mine = APIClient()
    mine.force_authenticate(User.objects.get(pk=objects.world.op_a.pk))
    assert all(FOUND.search(mine.get(url).content.decode()) for url in own)

    lines = [r.getMessage() for r in caplog.records if FOUND.search(r.getMessage())]
    assert not lines, "log lines with personal numbers:\n" + "\n".join(lines)

