"""UU PDP, the right to erasure: an operator closes their account; their tickets stay without their personal
data, shown as "Operator desa X", and the erasure is logged."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from rest_framework.test import APIClient

from helpdesk.accounts.models import User

from .conftest import Objects, fresh, web

pytestmark = pytest.mark.django_db


def _check_erased(o: Objects) -> None:
    w = o.world
    gone = User.objects.get(pk=w.op_a.pk)
    assert not gone.is_active and not gone.has_usable_password()
    assert (gone.name, gone.email, gone.phone) == ("", "", "") and gone.username == f"terhapus-{gone.pk}"
    entry = LogEntry.objects.get(object_id=str(gone.pk))
    assert entry.user_id == gone.pk and "UU PDP" in entry.change_message

    # The ticket stays, for the desa and its volunteers, with the reporter as "Operator desa Tanjung Luar".
    page = web(w.vol_lotim).get(f"/tiket/{o.ticket.number}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Operator desa Tanjung Luar" in text and w.op_a.email not in text and "Operator Tanjung Luar<" not in text
    api = APIClient()
    api.force_authenticate(fresh(w.vol_lotim))
    body = api.get(f"/api/v1/tickets/{o.ticket.pk}/").content.decode()
    assert "op_a" not in body and w.op_a.email not in body

    # The account cannot sign in any more.
    assert web(None).post("/masuk/", {"username": "op_a", "password": "rahasia-kuat-123"}).status_code == 400


def test_an_operator_erases_their_account_from_the_profile_page(objects: Objects) -> None:
    client = web(objects.world.op_a)
    wrong = client.post("/profil/hapus/", {"password": "salah"})
    assert wrong.headers["Location"] == "/profil/" and User.objects.get(pk=objects.world.op_a.pk).is_active
    done = client.post("/profil/hapus/", {"password": "rahasia-kuat-123"})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/profil/").headers["Location"].startswith("/masuk/")  # signed out
    _check_erased(objects)


def test_an_operator_erases_their_account_through_the_api(objects: Objects) -> None:
    token = APIClient().post("/api/v1/auth/token/", {"username": "op_a", "password": "rahasia-kuat-123"},
                             format="json").json()["token"]
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.post("/api/v1/me/erase/", {"password": "salah"}, format="json").status_code == 400
    assert api.post("/api/v1/me/erase/", {"password": "rahasia-kuat-123"}, format="json").status_code == 204
    assert api.get("/api/v1/me/").status_code == 401  # the token ended with the account
    _check_erased(objects)
