"""Signing in and out: tokens, the failed sign-in throttle (web and API together), sign-out everywhere, reset."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from helpdesk.accounts import throttling
from helpdesk.accounts.models import User
from helpdesk.core.models import OutboxJob
from tests.concurrency import run_together

from .conftest import PASSWORD, World, drain_outbox

TOKEN_URL = "/api/v1/auth/token/"


def api_sign_in(username: str, password: str, ip: str = "10.0.0.1") -> Any:
    return APIClient(REMOTE_ADDR=ip).post(TOKEN_URL, {"username": username, "password": password}, format="json")


def web_sign_in(username: str, password: str, ip: str = "10.0.0.1") -> Any:
    return Client(REMOTE_ADDR=ip).post("/masuk/", {"username": username, "password": password})


def test_a_token_is_issued_used_and_revoked(world: World) -> None:
    response = api_sign_in("relawan_lotim", PASSWORD)
    assert response.status_code == 200 and set(response.json()) == {"token"}
    client = APIClient(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/me/").json()["username"] == "relawan_lotim"
    assert client.delete(TOKEN_URL).status_code == 204
    after = client.get("/api/v1/me/")
    assert after.status_code == 401 and after.json()["code"] == "authentication_failed"
    assert api_sign_in("relawan_lotim", PASSWORD).json()["token"] != response.json()["token"]


def test_wrong_and_unknown_credentials_get_the_same_answer(world: World) -> None:
    wrong = api_sign_in("relawan_lotim", "salah-sandi")
    unknown = api_sign_in("tidak-ada-orangnya", "salah-sandi")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    web_wrong, web_unknown = web_sign_in("relawan_lotim", "x"), web_sign_in("tidak-ada", "x")
    assert web_wrong.status_code == web_unknown.status_code == 400
    assert "Nama pengguna atau kata sandi salah." in web_wrong.content.decode()
    assert web_wrong.content.decode().count("salah.") == web_unknown.content.decode().count("salah.")


def test_five_failures_lock_the_account_even_for_the_right_password(world: World) -> None:
    for _ in range(5):
        assert api_sign_in("relawan_lotim", "salah").status_code == 400
    locked = api_sign_in("relawan_lotim", PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["code"] == "throttled" and "Coba lagi dalam" in locked.json()["detail"]
    assert locked.json()["detail"].count("Coba lagi dalam") == 1, locked.json()["detail"]  # it said it twice
    assert set(locked.json()) == {"detail", "code"}
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    # other accounts from another address are not affected
    assert api_sign_in("koord_lotim", PASSWORD, ip="10.0.0.2").status_code == 200


def test_the_counter_is_shared_by_the_web_and_the_api(world: World) -> None:
    for _ in range(3):
        web_sign_in("relawan_lotim", "salah")
    for _ in range(2):
        api_sign_in("relawan_lotim", "salah")
    assert api_sign_in("relawan_lotim", PASSWORD).status_code == 429
    page = web_sign_in("relawan_lotim", PASSWORD)
    assert page.status_code == 429
    assert "Terlalu banyak percobaan masuk yang gagal" in page.content.decode()
    assert "_auth_user_id" not in page.wsgi_request.session


def test_successful_sign_ins_are_not_throttled_and_reset_the_account(world: World) -> None:
    for _ in range(20):
        assert api_sign_in("relawan_lotim", PASSWORD).status_code == 200
    for _ in range(4):
        api_sign_in("relawan_lotim", "salah")
    assert web_sign_in("relawan_lotim", PASSWORD).status_code == 302
    for _ in range(4):
        api_sign_in("relawan_lotim", "salah")
    assert api_sign_in("relawan_lotim", PASSWORD).status_code == 200


def test_fifty_failures_from_one_address_lock_that_address(world: World) -> None:
    for n in range(50):
        assert api_sign_in(f"tebakan{n}", "salah", ip="10.9.9.9").status_code == 400
    assert api_sign_in("relawan_lotim", PASSWORD, ip="10.9.9.9").status_code == 429
    assert api_sign_in("relawan_lotim", PASSWORD, ip="10.9.9.10").status_code == 200


def test_the_window_ends(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(5):
        api_sign_in("relawan_lotim", "salah")
    assert api_sign_in("relawan_lotim", PASSWORD).status_code == 429
    now = throttling.time.time()
    monkeypatch.setattr(throttling.time, "time", lambda: now + throttling.WINDOW_SECONDS + 1)
    assert api_sign_in("relawan_lotim", PASSWORD).status_code == 200


def test_behind_a_proxy_the_forwarded_address_counts(world: World, settings: Any) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    for n in range(50):
        client.post(TOKEN_URL, {"username": f"x{n}", "password": "y"}, HTTP_X_FORWARDED_FOR="203.0.113.9")
    other = client.post(TOKEN_URL, {"username": "relawan_lotim", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert other.status_code == 200


def test_sign_out_everywhere_ends_other_sessions_and_tokens(world: World) -> None:
    phone, laptop = Client(), Client()
    for browser in (phone, laptop):
        assert browser.post("/masuk/", {"username": "koord_lotim", "password": PASSWORD}).status_code == 302
    token = api_sign_in("koord_lotim", PASSWORD).json()["token"]
    assert laptop.get("/profil/").status_code == 200
    assert phone.post("/keluar/semua/").status_code == 302
    assert laptop.get("/profil/").status_code == 302  # sent to sign in
    assert APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/me/").status_code == 401
    # signing in again works, with a session that stays valid
    again = Client()
    again.post("/masuk/", {"username": "koord_lotim", "password": PASSWORD})
    assert again.get("/profil/").status_code == 200


def test_sign_out_everywhere_through_the_api(world: World) -> None:
    token = api_sign_in("koord_lotim", PASSWORD).json()["token"]
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post("/api/v1/auth/sign-out-everywhere/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_web_sign_in_redirects_safely_and_sets_the_language(world: World) -> None:
    User.objects.filter(username="relawan_lotim").update(language="en")
    client = Client()
    response = client.post("/masuk/?next=/profil/", {"username": "relawan_lotim", "password": PASSWORD, "next": "/profil/"})
    assert response.status_code == 302 and response.headers["Location"] == "/profil/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    evil = Client().post("/masuk/", {"username": "relawan_lotim", "password": PASSWORD, "next": "https://jahat.example/"})
    assert evil.headers["Location"] == "/antrian/"  # not followed: the volunteer lands on their queue instead


def test_sign_out_needs_a_post(world: World, client: Client) -> None:
    client.force_login(world.vol_lotim)
    assert client.get("/keluar/").status_code == 200
    assert client.get("/profil/").status_code == 200
    assert client.post("/keluar/").status_code == 302
    assert client.get("/profil/").status_code == 302


def test_password_reset_answers_the_same_and_mails_a_working_link(world: World) -> None:
    client = Client()
    known = client.post("/sandi/lupa/", {"email": world.vol_lotim.email.upper()})
    unknown = client.post("/sandi/lupa/", {"email": "tidak.ada@contoh.desa.id"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/sandi/lupa/terkirim/"
    assert mail.outbox == []  # not inside the request
    jobs = OutboxJob.objects.filter(kind="accounts.email")
    assert [job.payload for job in jobs] == [{"template": "password_reset", "user": world.vol_lotim.pk}]
    client.post("/sandi/lupa/", {"email": world.vol_lotim.email})  # asked twice: still one mail
    drain_outbox()
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/sandi/atur/\S+/", mail.outbox[0].body)
    assert link is not None
    path = "/" + link.group(0).split("://", 1)[1].split("/", 1)[1]
    form = client.get(path, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"new_password1": "Gili-Trawangan-99", "new_password2": "Gili-Trawangan-99"},
    )
    assert done.status_code == 302 and done.headers["Location"] == "/sandi/atur/selesai/"
    assert api_sign_in("relawan_lotim", "Gili-Trawangan-99").status_code == 200
    reused = client.get(path, follow=True)
    assert "tidak berlaku lagi" in reused.content.decode()


def test_argon2_is_the_production_hasher() -> None:
    from helpdesk.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_password_change_keeps_this_session(world: World, client: Client) -> None:
    client.force_login(world.vol_lotim)
    response = client.post(
        "/sandi/ganti/",
        {"old_password": PASSWORD, "new_password1": "Pulau-Moyo-2027", "new_password2": "Pulau-Moyo-2027"},
    )
    assert response.status_code == 302
    assert client.get("/profil/").status_code == 200
    assert api_sign_in("relawan_lotim", "Pulau-Moyo-2027").status_code == 200


def test_the_admin_signs_in_through_the_throttled_form(world: World) -> None:
    client = Client()
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302 and response.headers["Location"] == "/masuk/?next=%2Fadmin%2Faccounts%2Fuser%2F"
    assert client.post("/admin/login/", {"username": "admin", "password": "x"}).status_code == 302
    assert User.objects.get(username="admin").last_login is None  # the redirect signs nobody in
    assert client.get("/admin/").headers["Location"].startswith("/admin/login/")
    User.objects.filter(username="admin").update(is_staff=True)
    client.post("/masuk/", {"username": "admin", "password": PASSWORD, "next": "/admin/"})
    assert client.get("/admin/").status_code == 200


def test_a_signed_in_person_without_admin_rights_is_told_so_at_the_admin(world: World) -> None:
    client = Client()
    client.force_login(world.coord_lotim)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403 and "Akses ditolak" in response.content.decode()
    assert response.redirect_chain[-1][0].startswith("/admin/login/")  # not the sign-in form again


def _reset_link(client: Client, email: str) -> str:
    client.post("/sandi/lupa/", {"email": email})
    drain_outbox()
    link = re.search(r"https?://\S+/sandi/atur/\S+/", mail.outbox[-1].body)
    assert link is not None
    path = "/" + link.group(0).split("://", 1)[1].split("/", 1)[1]
    form = client.get(path, follow=True)
    return str(form.redirect_chain[-1][0]) if form.redirect_chain else path


def _signed_in_elsewhere(username: str) -> tuple[Client, APIClient]:
    other = Client()
    assert other.post("/masuk/", {"username": username, "password": PASSWORD}).status_code == 302
    token = api_sign_in(username, PASSWORD).json()["token"]
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert other.get("/profil/").status_code == 200 and api.get("/api/v1/me/").status_code == 200
    return other, api


def test_a_password_change_ends_other_sessions_and_every_api_token(world: World) -> None:
    other, api = _signed_in_elsewhere("relawan_lotim")
    this = Client()
    this.post("/masuk/", {"username": "relawan_lotim", "password": PASSWORD})
    response = this.post(
        "/sandi/ganti/",
        {"old_password": PASSWORD, "new_password1": "Pulau-Moyo-2027", "new_password2": "Pulau-Moyo-2027"},
    )
    assert response.status_code == 302
    assert this.get("/profil/").status_code == 200  # the session doing the change stays
    assert other.get("/profil/").status_code == 302
    gone = api.get("/api/v1/me/")
    assert gone.status_code == 401 and gone.json()["code"] == "authentication_failed"
    fresh = api_sign_in("relawan_lotim", "Pulau-Moyo-2027").json()["token"]
    assert APIClient(HTTP_AUTHORIZATION=f"Token {fresh}").get("/api/v1/me/").status_code == 200


def test_a_password_reset_ends_every_session_and_api_token(world: World) -> None:
    other, api = _signed_in_elsewhere("relawan_lotim")
    client = Client()
    path = _reset_link(client, world.vol_lotim.email)
    done = client.post(path, {"new_password1": "Gili-Trawangan-99", "new_password2": "Gili-Trawangan-99"})
    assert done.status_code == 302
    assert other.get("/profil/").status_code == 302
    assert api.get("/api/v1/me/").status_code == 401
    assert api_sign_in("relawan_lotim", "Gili-Trawangan-99").status_code == 200


def test_an_admin_password_change_ends_the_accounts_api_tokens(world: World) -> None:
    other, api = _signed_in_elsewhere("relawan_lotim")
    User.objects.filter(pk=world.admin.pk).update(is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(User.objects.get(pk=world.admin.pk))
    url = f"/admin/accounts/user/{world.vol_lotim.pk}/password/"
    response = admin.post(url, {"password1": "Rinjani-3726-m", "password2": "Rinjani-3726-m", "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert other.get("/profil/").status_code == 302
    assert api.get("/api/v1/me/").status_code == 401
    assert admin.get("/admin/").status_code == 200


def _twenty_parallel_wrong_passwords(monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], int]:
    """Twenty threads sign in to one account with a wrong password at the same moment (each its own address)."""
    import threading

    checks = 0
    lock = threading.Lock()
    original = User.check_password

    def counting(self: User, raw: str) -> bool:
        nonlocal checks
        with lock:
            checks += 1
        return original(self, raw)

    monkeypatch.setattr(User, "check_password", counting)
    responses = run_together([
        lambda n=n: api_sign_in("relawan_lotim", "salah-sandi", ip=f"10.1.0.{n}") for n in range(20)
    ])
    return [response.status_code for response in responses], checks


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_wrong_passwords_check_at_most_five_on_sqlite(world: World,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    statuses, checks = _twenty_parallel_wrong_passwords(monkeypatch)
    assert len(statuses) == 20
    assert checks <= 5
    assert statuses.count(400) == checks and statuses.count(429) == 20 - checks
    assert api_sign_in("relawan_lotim", PASSWORD).status_code == 429


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_wrong_passwords_check_at_most_five_on_postgres(world: World,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    statuses, checks = _twenty_parallel_wrong_passwords(monkeypatch)
    assert len(statuses) == 20 and checks == 5
    assert statuses.count(400) == 5 and statuses.count(429) == 15


def test_a_password_reset_lifts_the_sign_in_lock(world: World) -> None:
    for _ in range(5):
        api_sign_in("relawan_lotim", "salah")
    assert api_sign_in("relawan_lotim", PASSWORD).status_code == 429
    client = Client()
    path = _reset_link(client, world.vol_lotim.email)
    assert client.post(path, {"new_password1": "Tambora-1815-x", "new_password2": "Tambora-1815-x"}).status_code == 302
    assert api_sign_in("relawan_lotim", "Tambora-1815-x").status_code == 200


def test_a_correct_password_gives_back_the_addresses_slot(world: World) -> None:
    for n in range(49):
        assert api_sign_in(f"tebakan{n}", "salah", ip="10.7.7.7").status_code == 400
    for _ in range(5):
        assert api_sign_in("relawan_lotim", PASSWORD, ip="10.7.7.7").status_code == 200
    assert api_sign_in("tebakan-terakhir", "salah", ip="10.7.7.7").status_code == 400
    assert api_sign_in("relawan_lotim", PASSWORD, ip="10.7.7.7").status_code == 429
