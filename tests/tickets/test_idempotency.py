"""The same create request twice files once: `Idempotency-Key` on the API, a one-time token on the web forms."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk.core.idempotency import purge_expired
from helpdesk.core.models import IdempotencyKey
from helpdesk.tickets.models import Attachment, Message, Ticket
from tests.concurrency import run_together
from tests.tickets.conftest import World, as_user, png_bytes

NEW = {"title": "Data penduduk tidak tampil", "description": "Setelah impor, daftar kosong.",
       "category": "kependudukan", "priority": "normal"}


def post(user: Any, path: str, data: Any, key: str | None, **extra: Any) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return as_user(APIClient(), user).post(path, data, format=extra.pop("format", "json"), headers=headers, **extra)


def test_the_same_key_twice_files_one_ticket_and_answers_the_same(world: World) -> None:
    first = post(world.op_a, "/api/v1/tickets/", NEW, "k-1")
    assert first.status_code == 201, first.json()
    again = post(world.op_a, "/api/v1/tickets/", NEW, "k-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1
    without = post(world.op_a, "/api/v1/tickets/", NEW, None)
    assert without.status_code == 201 and Ticket.objects.count() == 2  # no key: no protection asked for


def test_keys_belong_to_one_person_and_a_reused_key_with_another_body_is_409(world: World) -> None:
    mine = post(world.op_a, "/api/v1/tickets/", NEW, "sama")
    theirs = post(world.op_b, "/api/v1/tickets/", NEW, "sama")
    assert mine.status_code == theirs.status_code == 201 and mine.json()["id"] != theirs.json()["id"]
    other = post(world.op_a, "/api/v1/tickets/", {**NEW, "title": "Judul lain"}, "sama")
    assert other.status_code == 409
    assert other.json() == {"detail": other.json()["detail"], "code": "idempotency_key_reused"}
    assert Ticket.objects.count() == 2
    assert post(world.op_a, "/api/v1/tickets/", NEW, "x" * 201).status_code == 400


def test_a_failed_request_stores_nothing_and_may_be_retried(world: World) -> None:
    bad = post(world.op_a, "/api/v1/tickets/", {**NEW, "title": ""}, "coba")
    assert bad.status_code == 400 and not IdempotencyKey.objects.exists()
    assert post(world.op_a, "/api/v1/tickets/", NEW, "coba").status_code == 201


def test_messages_and_attachments_honour_the_key(world: World) -> None:
    ticket = world.ticket()
    path = f"/api/v1/tickets/{ticket.pk}/messages/"
    replies = [post(world.op_a, path, {"body": "Sudah saya coba lagi."}, "balas-1") for _ in range(3)]
    assert {r.status_code for r in replies} == {201} and len({r.json()["id"] for r in replies}) == 1
    assert Message.objects.filter(ticket=ticket, body="Sudah saya coba lagi.").count() == 1
    upload = f"/api/v1/tickets/{ticket.pk}/attachments/"
    content = png_bytes()
    files = [post(world.op_a, upload, {"file": SimpleUploadedFile("layar.png", content)}, "lampir-1",
                  format="multipart") for _ in range(2)]
    assert [f.status_code for f in files] == [201, 201] and files[0].json() == files[1].json()
    assert Attachment.objects.filter(ticket=ticket).count() == 1
    different = post(world.op_a, upload, {"file": SimpleUploadedFile("lain.png", png_bytes(size=(10, 10)))},
                     "lampir-1", format="multipart")
    assert different.status_code == 409


def test_keys_expire_after_a_day(world: World) -> None:
    post(world.op_a, "/api/v1/tickets/", NEW, "lama")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert post(world.op_a, "/api/v1/tickets/", NEW, "lama").status_code == 201
    assert Ticket.objects.count() == 2
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_expired() == 1 and not IdempotencyKey.objects.exists()


def _parallel_same_key(world: World, n: int = 6) -> list[Any]:
    responses = run_together([lambda: post(world.op_a, "/api/v1/tickets/", NEW, "serentak")] * n)
    return [(response.status_code, response.json()) for response in responses]


@pytest.mark.django_db(transaction=True)
def test_parallel_duplicates_write_once_on_sqlite(world: World) -> None:
    results = _parallel_same_key(world)
    assert len(results) == 6 and {status for status, _body in results} == {201}
    assert len({body["id"] for _status, body in results}) == 1
    assert Ticket.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_duplicates_write_once_on_postgres(world: World) -> None:
    results = _parallel_same_key(world, n=10)
    assert len(results) == 10 and {status for status, _body in results} == {201}
    assert len({body["id"] for _status, body in results}) == 1
    assert Ticket.objects.count() == 1


WEB_TICKET = {"title": "Printer termal anjungan macet", "description": "Kertas struk antrean tersangkut.",
              "category": "kependudukan", "priority": "normal", "hosting": "vps", "visibility": "private",
              "opensid_version": "", "confirm": "1"}


def _token(html: str) -> str:
    import re

    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found, "the form carries no one-time token"
    return found.group(1)


def test_a_double_submitted_new_ticket_form_files_once(world: World) -> None:
    client = Client()
    client.force_login(world.op_a)
    token = _token(client.get("/tiket/baru/").content.decode())
    first = client.post("/tiket/baru/", {**WEB_TICKET, "form_token": token})
    second = client.post("/tiket/baru/", {**WEB_TICKET, "form_token": token})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == Ticket.objects.get().get_absolute_url()
    fresh = _token(client.get("/tiket/baru/").content.decode())
    assert fresh != token
    client.post("/tiket/baru/", {**WEB_TICKET, "form_token": fresh})
    assert Ticket.objects.count() == 2
    other = Client()
    other.force_login(world.op_a2)
    other.post("/tiket/baru/", {**WEB_TICKET, "form_token": token})  # someone else's token is theirs alone
    assert Ticket.objects.count() == 3


def test_a_form_with_errors_keeps_its_token_usable(world: World) -> None:
    client = Client()
    client.force_login(world.op_a)
    token = _token(client.get("/tiket/baru/").content.decode())
    shown = client.post("/tiket/baru/", {**WEB_TICKET, "title": "", "form_token": token})
    assert shown.status_code == 200 and _token(shown.content.decode()) == token
    assert client.post("/tiket/baru/", {**WEB_TICKET, "form_token": token}).status_code == 302
    assert Ticket.objects.count() == 1


def test_a_double_submitted_reply_posts_once(world: World) -> None:
    ticket = world.ticket()
    client = Client()
    client.force_login(world.op_a)
    token = _token(client.get(ticket.get_absolute_url()).content.decode())
    url = f"/tiket/{ticket.number}/balas/"
    first = client.post(url, {"body": "Sudah saya coba, masih gagal.", "form_token": token})
    second = client.post(url, {"body": "Sudah saya coba, masih gagal.", "form_token": token})
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert Message.objects.filter(ticket=ticket, body="Sudah saya coba, masih gagal.").count() == 1
