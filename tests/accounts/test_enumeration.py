"""No answer says whether an e-mail address has an account (docs/accounts.md): sign-up, invitations and profile
changes answer the same for a taken and a free address, and the address's holder is mailed instead.
Usernames are public handles and may be reported as taken."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from helpdesk.accounts.models import User

from .conftest import DESA_A, World, drain_outbox

REGISTER = "/api/v1/accounts/register/"


def register(username: str, email: str) -> Any:
    return APIClient().post(REGISTER, {"username": username, "password": "Sembalun-Lawang-2026", "email": email,
                                       "desa_code": DESA_A}, format="json")


def mails_to(address: str) -> list[Any]:
    return [m for m in mail.outbox if m.to == [address]]


def test_registering_with_a_taken_address_answers_like_a_free_one_and_tells_its_holder(world: World) -> None:
    holder = world.operator
    free = register("op.bebas", "bebas@contoh.desa.id")
    taken = register("op.penyaru", holder.email.upper())
    assert free.status_code == taken.status_code == 201
    assert set(free.json()) == set(taken.json()) == {"id", "status"}
    assert free.json()["status"] == taken.json()["status"] == "pending"
    impostor = User.objects.get(username="op.penyaru")
    assert impostor.email == ""  # the address is not given to someone who cannot read its mail
    drain_outbox()
    told = mails_to(holder.email)
    assert len(told) == 1 and "akun lain" in told[0].body and "/sandi/lupa/" in told[0].body
    assert "op.penyaru" not in told[0].body
    assert not mails_to("bebas@contoh.desa.id")  # a free address gets nothing odd


def test_the_web_sign_up_answers_the_same_too(world: World) -> None:
    pages = []
    for username, email in (("web.bebas", "web.bebas@contoh.desa.id"), ("web.penyaru", world.operator.email)):
        pages.append(Client().post(f"/daftar/?desa={DESA_A}", {
            "name": "Nama", "username": username, "email": email, "phone": "",
            "password1": "Sembalun-Lawang-2026", "password2": "Sembalun-Lawang-2026", "desa_code": DESA_A}))
    assert [p.status_code for p in pages] == [302, 302]
    assert pages[0]["Location"] == pages[1]["Location"]


def test_a_taken_username_is_still_reported(world: World) -> None:
    response = register(world.operator.username, "lain@contoh.desa.id")
    assert response.status_code == 400 and "username" in response.json()["fields"]
    assert "email" not in response.json()["fields"]


def test_an_address_change_is_confirmed_at_the_new_address(world: World) -> None:
    user = world.vol_lotim
    old = user.email
    client = world.client(user)
    taken = client.patch("/api/v1/me/", {"email": world.coord_lotim.email}, format="json")
    free = client.patch("/api/v1/me/", {"email": "relawan.baru@forsid.id"}, format="json")
    assert taken.status_code == free.status_code == 200 and taken.json() == free.json()
    assert User.objects.get(pk=user.pk).email == old  # nothing changes until the link is opened
    drain_outbox()
    assert "akun lain" in mails_to(world.coord_lotim.email)[0].body
    confirm = mails_to("relawan.baru@forsid.id")
    assert len(confirm) == 1
    link = re.search(r"https?://\S+(/profil/email/\S+/)", confirm[0].body)
    assert link is not None
    opened = Client().get(link.group(1))
    assert opened.status_code == 302
    assert User.objects.get(pk=user.pk).email == "relawan.baru@forsid.id"
    forged = Client().get("/profil/email/bukan-token/", follow=True)
    assert "tidak berlaku" in forged.content.decode()


def test_the_profile_page_answers_the_same_for_a_taken_address(world: World) -> None:
    client = Client()
    client.force_login(world.vol_lotim)
    form = {"name": "Budi", "phone": "", "language": "id", "timezone": ""}
    taken = client.post("/profil/", {**form, "email": world.coord_lotim.email}, follow=True)
    free = client.post("/profil/", {**form, "email": "budi.baru@forsid.id"}, follow=True)
    assert taken.status_code == free.status_code == 200

    def messages_of(response: Any) -> list[str]:
        return [re.sub(r"\S+@\S+", "@", str(m)) for m in response.context["messages"]]

    assert messages_of(taken) == messages_of(free)


def test_accepting_an_invitation_with_a_taken_address_answers_like_a_free_one(world: World) -> None:
    def invite() -> str:
        response = world.client(world.coord_lotim).post(f"/api/v1/forums/{world.lotim.pk}/invitations/",
                                                        {"role": "volunteer"}, format="json")
        return str(response.json()["token"])

    def accept(username: str, email: str) -> Any:
        return APIClient().post("/api/v1/accounts/accept-invite/", {
            "token": invite(), "username": username, "password": "Rinjani-Segara-77", "email": email}, format="json")

    free, taken = accept("undangan.bebas", "ub@forsid.id"), accept("undangan.penyaru", world.operator.email)
    assert free.status_code == taken.status_code == 201
    assert set(free.json()) == set(taken.json())
    assert User.objects.get(username="undangan.penyaru").email == ""
    drain_outbox()
    assert len(mails_to(world.operator.email)) == 1
