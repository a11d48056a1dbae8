"""Operator sign-up through the API: the happy path, and every bad input of the issue, with nothing half-saved."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

from helpdesk.accounts.access import is_operator, is_verified_operator
from helpdesk.accounts.models import User
from helpdesk.core.models import OutboxJob

from .conftest import DESA_A, World, drain_outbox

URL = "/api/v1/accounts/register/"


def body(**overrides: Any) -> dict[str, Any]:
    data = {
        "username": "op.baru",
        "password": "Sembalun-Lawang-2026",
        "email": "op.baru@contoh.desa.id",
        "desa_code": DESA_A,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_register_without_a_name_is_pending_and_can_sign_in_but_not_file(world: World) -> None:
    response = APIClient().post(URL, body(phone="0812 3456 7890"), format="json")
    assert response.status_code == 201, response.content
    user = User.objects.get(username="op.baru")
    assert response.json() == {"id": user.pk, "status": "pending"}
    assert user.desa_id == DESA_A and user.name == "" and user.phone == "+6281234567890"
    assert user.check_password("Sembalun-Lawang-2026")
    assert is_operator(user) and not is_verified_operator(user)

    token = APIClient().post("/api/v1/auth/token/", {"username": "op.baru", "password": "Sembalun-Lawang-2026"})
    assert token.status_code == 200
    me = APIClient(HTTP_AUTHORIZATION=f"Token {token.json()['token']}").get("/api/v1/me/")
    assert me.json()["roles"] == ["operator"] and me.json()["desa_code"] == DESA_A


def test_register_accepts_an_undotted_code_and_a_name(world: World) -> None:
    response = APIClient().post(URL, body(desa_code="5203012001", name="Baiq Rina"), format="json")
    assert response.status_code == 201
    assert User.objects.get(username="op.baru").name == "Baiq Rina"


def test_the_coordinators_of_the_covering_forum_are_told_by_email(world: World) -> None:
    APIClient().post(URL, body(), format="json")
    jobs = OutboxJob.objects.filter(kind="accounts.email", payload__template="operator_pending")
    assert {job.payload["user"] for job in jobs} == {world.coord_lotim.pk}
    mail.outbox.clear()
    drain_outbox()
    assert [m.to for m in mail.outbox] == [[world.coord_lotim.email]]
    assert "op.baru" in mail.outbox[0].body and "/verifikasi-operator/" in mail.outbox[0].body


BAD_INPUTS = [
    ("unknown desa", {"desa_code": "52.03.01.2999"}, "desa_code"),
    ("garbage desa", {"desa_code": "bukan-kode"}, "desa_code"),
    ("a kecamatan is not a village", {"desa_code": "52.03.01"}, "desa_code"),
    ("a province is not a village", {"desa_code": "52"}, "desa_code"),
    ("duplicate username", {"username": "op_tanjungluar"}, "username"),
    ("duplicate username, other case", {"username": "OP_TanjungLuar"}, "username"),
    # A duplicate e-mail address is not a 400: addresses are never confirmed (tests/accounts/test_enumeration.py).
    ("weak password: short", {"password": "abc"}, "password"),
    ("weak password: common", {"password": "password123"}, "password"),
    ("weak password: numeric", {"password": "2026202620262026"}, "password"),
    ("weak password: like the username", {"username": "sembalunlawang", "password": "sembalunlawang1"}, "password"),
    ("phone that does not parse", {"phone": "12345"}, "phone"),
    ("phone with letters", {"phone": "nomor saya"}, "phone"),
    ("bad e-mail", {"email": "bukan-email"}, "email"),
    ("bad username", {"username": "nama dengan spasi"}, "username"),
    ("missing desa", {"desa_code": None}, "desa_code"),
    ("missing password", {"password": None}, "password"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(
    world: World, case: str, overrides: dict[str, Any], field: str
) -> None:
    users, jobs = User.objects.count(), OutboxJob.objects.count()
    response = APIClient().post(URL, body(**overrides), format="json")
    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload["code"] == "invalid" and payload["detail"]
    assert field in payload["fields"], payload
    assert all(isinstance(m, str) and m for m in payload["fields"][field])
    assert User.objects.count() == users and OutboxJob.objects.count() == jobs


def test_every_problem_is_reported_at_once(world: World) -> None:
    response = APIClient().post(
        URL, body(username="op_tanjungluar", desa_code="52.03", phone="99", password="123"), format="json"
    )
    assert response.status_code == 400
    assert {"username", "desa_code", "phone", "password"} <= set(response.json()["fields"])


def test_a_signed_in_session_is_not_needed_and_csrf_is_not_in_the_way(world: World) -> None:
    client = APIClient(enforce_csrf_checks=True)
    assert client.post(URL, body(), format="json").status_code == 201
