"""Without TELEGRAM_BOT_TOKEN no bot runs (the fresh `make run`): the profile and forum pages say so and offer no
link or code, the endpoints that would make one refuse and store nothing, and the log stays quiet."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from bots import handlers
from bots.ticket_models import LinkCode, TelegramLink
from helpdesk.accounts.models import User
from tests.tickets import conftest as tickets_conftest
from tests.tickets.conftest import World

pytestmark = pytest.mark.django_db

world = tickets_conftest.world

OFF = "Telegram belum diaktifkan di server ini."


@pytest.fixture(autouse=True)
def no_token(settings: Any, caplog: pytest.LogCaptureFixture) -> Any:
    settings.TELEGRAM_BOT_TOKEN = ""
    handlers._username.clear()
    caplog.set_level(logging.INFO)
    yield
    records = [r for r in caplog.get_records("call") if r.name.startswith("bots")]
    warnings = [r for r in records if r.levelno >= logging.WARNING or r.exc_info]
    assert not warnings, "no token is a setting, not a fault: " + "; ".join(r.getMessage() for r in warnings)


def signed_in(user: User) -> Client:
    web = Client()
    web.force_login(User.objects.get(pk=user.pk))
    return web


def test_the_profile_says_telegram_is_off_and_offers_no_link(world: World) -> None:
    page = signed_in(world.op_a).get("/profil/").content.decode()
    assert OFF in page
    assert "t.me/" not in page and "Tautkan Telegram" not in page
    assert "TELEGRAM_BOT_TOKEN" not in page, "an operator cannot set it"
    admin_page = signed_in(world.admin).get("/profil/").content.decode()
    assert OFF in admin_page and "TELEGRAM_BOT_TOKEN" in admin_page and "docs/telegram.md" in admin_page


def test_a_linked_account_can_still_be_unlinked(world: World) -> None:
    TelegramLink.objects.create(user=world.op_a, telegram_user_id=777, telegram_username="sari",
                                linked_at=timezone.now())
    web = signed_in(world.op_a)
    page = web.get("/profil/").content.decode()
    assert OFF in page and "Lepas tautan Telegram" in page
    assert web.post("/profil/telegram/", {"action": "unlink"}).status_code == 302
    assert not TelegramLink.objects.filter(user=world.op_a).exists()


def test_the_forum_page_says_telegram_is_off_and_offers_no_code(world: World) -> None:
    page = signed_in(world.coord_lotim).get(f"/forsid/{world.lotim.pk}/").content.decode()
    assert OFF in page and "TELEGRAM_BOT_TOKEN" in page
    assert "Minta kode /hubungkan" not in page and "t.me/" not in page


def test_the_pages_refuse_to_make_codes(world: World) -> None:
    web = signed_in(world.op_a)
    response = web.post("/profil/telegram/")
    assert response.status_code == 302 and response["Location"] == "/profil/#telegram"
    assert OFF in web.get("/profil/").content.decode()
    coordinator = signed_in(world.coord_lotim)
    response = coordinator.post(f"/forsid/{world.lotim.pk}/telegram/")
    assert response.status_code == 302 and response["Location"] == f"/forsid/{world.lotim.pk}/#telegram"
    followed = coordinator.get(response["Location"]).content.decode()
    assert "/hubungkan " not in followed and "belum bisa ditautkan" in followed
    assert signed_in(world.vol_lotim).post(f"/forsid/{world.lotim.pk}/telegram/").status_code == 403
    assert not LinkCode.objects.exists()


def test_the_api_refuses_to_make_codes(world: World) -> None:
    api = APIClient()
    api.force_authenticate(User.objects.get(pk=world.op_a.pk))
    response = api.post("/api/v1/me/telegram-link/")
    assert response.status_code == 409 and response.json()["code"] == "telegram_disabled"
    api.force_authenticate(User.objects.get(pk=world.coord_lotim.pk))
    response = api.post(f"/api/v1/forums/{world.lotim.pk}/telegram-code/")
    assert response.status_code == 409 and response.json()["code"] == "telegram_disabled"
    api.force_authenticate(User.objects.get(pk=world.vol_lotim.pk))
    assert api.post(f"/api/v1/forums/{world.lotim.pk}/telegram-code/").status_code == 403
    assert not LinkCode.objects.exists()


def test_the_bot_name_is_unknown_without_asking() -> None:
    assert handlers.bot_username() == ""


def test_with_a_token_but_no_answer_from_getme_no_link_to_a_guessed_bot_is_made(
    world: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A link to a guessed @name could hand the one-time token to somebody else's bot.
    settings.TELEGRAM_BOT_TOKEN = "123:abc"
    monkeypatch.setattr("bots.linking.bot_username", lambda: "")
    response = signed_in(world.op_a).post("/profil/telegram/", follow=True)
    html = response.content.decode()
    assert "Telegram sedang tidak bisa dihubungi" in html and "t.me/" not in html
    assert not LinkCode.objects.exists()
    api = APIClient()
    api.force_authenticate(User.objects.get(pk=world.op_a.pk))
    refused = api.post("/api/v1/me/telegram-link/")
    assert refused.status_code == 409 and refused.json()["code"] == "telegram_unavailable"
    assert not LinkCode.objects.exists()
