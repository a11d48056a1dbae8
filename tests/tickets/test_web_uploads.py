"""Issue 15: a reply whose file is refused is refused whole, with the error beside the file field and the text kept."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from helpdesk.tickets.models import Attachment, Message

from .conftest import World, png_bytes


def _reply(world: World, ticket: Any, upload: SimpleUploadedFile) -> str:
    client = Client()
    client.force_login(world.vol_lotim)
    response = client.post(f"{ticket.get_absolute_url()}balas/", {"body": "Lihat tangkapan layar terlampir.",
                                                                  "file": upload})
    assert response.status_code == 400
    return response.content.decode()


def test_a_disguised_exe_refuses_the_reply_whole(world: World) -> None:
    ticket = world.ticket()
    html = _reply(world, ticket, SimpleUploadedFile("layar.png", b"MZ\x90\x00" + b"\x00" * 500, "image/png"))
    assert not Message.objects.filter(ticket=ticket, body__contains="tangkapan layar").exists()
    field = html.split('id="id_file_error"')[1].split("</ul>")[0]
    assert "Jenis berkas tidak diizinkan" in field
    assert ">Lihat tangkapan layar terlampir.</textarea>" in html


def test_a_too_large_image_refuses_the_reply_whole(world: World, settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1024
    ticket = world.ticket()
    html = _reply(world, ticket, SimpleUploadedFile("besar.png", png_bytes(size=(400, 400)), "image/png"))
    assert "Berkas terlalu besar" in html.split('id="id_file_error"')[1].split("</ul>")[0]
    assert not Attachment.objects.filter(ticket=ticket).exists()
    assert 'data-max-bytes="1024"' in html  # upload-check.js refuses it before the upload, with JavaScript


def test_a_good_file_goes_with_its_reply(world: World) -> None:
    ticket = world.ticket()
    client = Client()
    client.force_login(world.vol_lotim)
    response = client.post(f"{ticket.get_absolute_url()}balas/", {
        "body": "Terlampir.", "file": SimpleUploadedFile("ok.png", png_bytes(), "image/png")})
    assert response.status_code == 302
    message = Message.objects.get(ticket=ticket, body="Terlampir.")
    assert Attachment.objects.filter(ticket=ticket, message=message).count() == 1
