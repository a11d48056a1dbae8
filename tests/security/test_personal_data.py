"""UU PDP, the right of access: a person downloads their own data from the profile page or the API."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from helpdesk.tickets import services
from helpdesk.tickets.models import Ticket

from .conftest import Objects, fresh, web

pytestmark = pytest.mark.django_db


def test_an_operator_downloads_their_data_from_the_profile_page_and_the_api(objects: Objects) -> None:
    w = objects.world
    services.message_create(ticket=Ticket.objects.get(pk=objects.ticket.pk), author=fresh(w.vol_lotim),
                            body="Catatan internal relawan", internal=True)
    client = web(w.op_a)
    profile = client.get("/profil/")
    assert b'href="/profil/data-saya/"' in profile.content

    page = client.get("/profil/data-saya/")
    assert page.status_code == 200
    assert page.headers["Content-Disposition"] == 'attachment; filename="data-saya-op_a.json"'
    assert page.headers["Cache-Control"] == "no-store"
    data = json.loads(page.content)

    api = APIClient()
    api.force_authenticate(fresh(w.op_a))
    from_api = api.get("/api/v1/me/export/")
    assert from_api.status_code == 200
    assert json.loads(from_api.content)["tickets"] == data["tickets"]

    assert data["profile"]["username"] == "op_a" and data["profile"]["email"] == w.op_a.email
    [ticket] = data["tickets"]
    assert ticket["number"] == objects.ticket.number and ticket["description"] == objects.ticket.description
    assert [m["body"] for m in ticket["messages"]] == ["Coba simpan ulang."]  # internal notes are not theirs
    assert [a["name"] for a in ticket["attachments"]] == ["layar.png"]
    assert [m["body"] for m in data["messages_elsewhere"]] == []


def test_the_export_holds_only_the_callers_own_data(objects: Objects) -> None:
    data = json.loads(web(objects.world.op_b).get("/profil/data-saya/").content)
    assert [t["number"] for t in data["tickets"]] == [objects.question.number]
    assert objects.ticket.number not in json.dumps(data)
    vol = json.loads(web(objects.world.vol_lotim).get("/profil/data-saya/").content)
    assert vol["tickets"] == [] and {m["ticket"] for m in vol["messages_elsewhere"]} == {
        objects.ticket.number, objects.question.number}


def test_no_one_downloads_without_signing_in(objects: Objects) -> None:
    assert web(None).get("/profil/data-saya/").headers["Location"].startswith("/masuk/")
    assert APIClient().get("/api/v1/me/export/").status_code == 401
