from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from helpdesk.tickets.models import Attachment
from tests.tickets.conftest import World, as_user, png_bytes


def _upload(client: APIClient, ticket_id: int, name: str, content: bytes, **extra: Any) -> Any:
    return client.post(
        f"/api/v1/tickets/{ticket_id}/attachments/",
        {"file": SimpleUploadedFile(name, content), **extra},
        format="multipart",
    )


def test_a_screenshot_is_stored_cleaned_and_thumbnailed(world: World) -> None:
    ticket = world.ticket()
    client = as_user(APIClient(), world.op_a)
    response = _upload(client, ticket.pk, "layar.jpg", png_bytes(size=(1200, 800), exif=True))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "image/jpeg" and body["name"] == "layar.jpg"
    attachment = Attachment.objects.get(pk=body["id"])
    stored = Image.open(attachment.file.open("rb"))
    assert not stored.getexif()  # the camera data is gone
    thumb = Image.open(attachment.thumbnail.open("rb"))
    assert max(thumb.size) <= 320
    download = client.get(body["url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="layar.jpg"')
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_log_file_is_accepted_as_text(world: World) -> None:
    ticket = world.ticket()
    log = b"[2024-10-01] ERROR: Data too long for column 'nama' at row 1\n"
    response = _upload(as_user(APIClient(), world.op_a), ticket.pk, "error.log", log)
    assert response.status_code == 201 and response.json()["content_type"] == "text/plain"
    assert response.json()["name"] == "error.log"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("foto.png", b"MZ\x90\x00\x03" + b"\x00" * 200, "Jenis berkas tidak diizinkan"),
        ("foto.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "Jenis berkas tidak diizinkan"),
        ("rusak.png", b"\x89PNG\r\n\x1a\n" + b"bukan gambar" * 10, "Gambar rusak"),
        ("kosong.txt", b"", "kosong"),
    ],
)
def test_disguised_or_broken_files_are_refused(world: World, name: str, content: bytes, message: str) -> None:
    ticket = world.ticket()
    response = _upload(as_user(APIClient(), world.op_a), ticket.pk, name, content)
    assert response.status_code == 400, response.content
    assert message in response.json()["fields"]["file"][0]
    assert not Attachment.objects.exists()


def test_a_zip_bomb_is_refused(world: World) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("nol.bin", b"\x00" * (50 * 1024 * 1024))
    ticket = world.ticket()
    response = _upload(as_user(APIClient(), world.op_a), ticket.pk, "backup.zip", buffer.getvalue())
    assert response.status_code == 400
    assert "zip bomb" in response.json()["fields"]["file"][0]


def test_a_normal_zip_is_accepted(world: World) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("log/error.log", "baris log biasa yang berbeda-beda 123\n" * 20)
    response = _upload(as_user(APIClient(), world.op_a), world.ticket().pk, "log.zip", buffer.getvalue())
    assert response.status_code == 201


def test_an_oversized_file_is_413(world: World, settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1024
    response = _upload(as_user(APIClient(), world.op_a), world.ticket().pk, "besar.txt", b"a" * 5000)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not Attachment.objects.exists()


def test_only_people_who_may_post_can_attach(world: World) -> None:
    ticket = world.ticket()
    assert _upload(as_user(APIClient(), world.op_b), ticket.pk, "x.png", png_bytes()).status_code == 404
    assert _upload(APIClient(), ticket.pk, "x.png", png_bytes()).status_code in (401, 403)


def test_attaching_to_another_tickets_message_is_refused(world: World) -> None:
    from helpdesk.tickets import services

    first, second = world.ticket(), world.ticket()
    message = services.message_create(ticket=first, author=world.op_a, body="lihat lampiran")
    response = _upload(as_user(APIClient(), world.op_a), second.pk, "x.png", png_bytes(), message=message.pk)
    assert response.status_code == 400 and "message" in response.json()["fields"]
