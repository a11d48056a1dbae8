"""The header offers each person only what they can use, and sign-in lands them on their own work."""

from __future__ import annotations

import logging
import re

import pytest
from django.conf import settings
from django.test import Client

from helpdesk.accounts.models import User

from .conftest import PASSWORD, World

NAV = re.compile(r'<header class="top">(.*?)</header>', re.S)
HREF = re.compile(r'<a [^>]*href="(/[^"]*)"')


def nav_links(client: Client) -> list[str]:
    page = client.get("/")
    assert page.status_code == 200
    header = NAV.search(page.content.decode())
    assert header is not None
    return HREF.findall(header.group(1))


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["operator", "pending", "vol_lotim", "coord_lotim", "planner", "admin", "outsider"])
def test_no_header_link_answers_403(world: World, who: str) -> None:
    client = signed_in(getattr(world, who))
    links = nav_links(client)
    assert links
    for href in links:
        assert client.get(href).status_code != 403, href


def test_each_role_sees_only_its_own_links(world: World) -> None:
    operator = nav_links(signed_in(world.operator))
    assert "/tiket/" in operator and "/tiket/baru/" in operator and "/antrian/" not in operator
    volunteer = nav_links(signed_in(world.vol_lotim))
    assert "/antrian/" in volunteer and "/tiket/" not in volunteer and "/tiket/baru/" not in volunteer
    planner = nav_links(signed_in(world.planner))
    assert "/antrian/" not in planner and "/tiket/baru/" not in planner
    anonymous = nav_links(Client())
    assert "/notifikasi/" not in anonymous and "/antrian/" not in anonymous


def sign_in(username: str, **extra: str) -> str:
    response = Client().post("/masuk/", {"username": username, "password": PASSWORD, **extra})
    assert response.status_code == 302
    return str(response.headers["Location"])


def test_after_sign_in_each_person_lands_on_their_own_work(world: World) -> None:
    assert sign_in("op_tanjungluar") == "/tiket/"
    assert sign_in("relawan_lotim") == "/antrian/"
    assert sign_in("koord_lotim") == f"/forsid/{world.lotim.pk}/"
    assert sign_in("relawan_lotim", next="/profil/") == "/profil/"  # a `next` still wins


def test_planner_lands_on_the_dashboard(world: World) -> None:
    assert sign_in("perencana") == "/dasbor/"
    assert sign_in("perencana", next="/kb/") == "/kb/"  # a `next` still wins


def test_the_language_picked_before_signing_in_stays(world: World) -> None:
    User.objects.filter(username="relawan_lotim").update(language="id")
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post("/masuk/", {"username": "relawan_lotim", "password": PASSWORD})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies  # not overwritten with the profile's
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_403_page_has_no_traceback_in_the_log(world: World, caplog: pytest.LogCaptureFixture) -> None:
    client = signed_in(world.operator)
    with caplog.at_level(logging.WARNING):
        response = client.get("/antrian/")
    assert response.status_code == 403
    assert "Akses ditolak" in response.content.decode()
    assert all(record.exc_info is None for record in caplog.records)


def test_the_verification_page_shows_how_long_each_sign_up_has_waited(world: World) -> None:
    from datetime import timedelta

    from django.utils import timezone

    User.objects.filter(pk=world.pending.pk).update(date_joined=timezone.now() - timedelta(hours=5))
    html = signed_in(world.coord_lotim).get("/verifikasi-operator/").content.decode()
    assert "menunggu 5\xa0jam" in html
