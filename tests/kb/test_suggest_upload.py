"""Issue 15: without JavaScript, a screenshot chosen before the "Sebelum mengirim" step is kept, not dropped."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from helpdesk.kb.models import Entry
from helpdesk.tickets.models import Attachment, Ticket
from tests.kb.conftest import World, publish, web
from tests.kb.test_suggest import TICKET

pytestmark = pytest.mark.django_db


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def answer(world: World) -> Entry:
    return publish(world, title="Gagal impor data penduduk dari Excel: Data too long for column",
                   answer="Potong isian kolom nama jadi maksimal 100 karakter, lalu impor ulang file Excel.")


def test_the_screenshot_survives_the_suggestion_step(world: World, answer: Entry) -> None:
    client = web(world.op_a)
    shown = client.post("/tiket/baru/", {**TICKET, "file": SimpleUploadedFile("galat.png", png(), "image/png")})
    html = shown.content.decode()
    assert "Sebelum mengirim, apakah ini jawabannya?" in html and "Lampiran sudah tersimpan: galat.png" in html
    token = re.search(r'name="upload_token" value="([^"]+)"', html)
    assert token and Ticket.objects.count() == 0
    # Someone else cannot use the token.
    assert "Lampiran sudah tersimpan" not in web(world.op_a2).post(
        "/tiket/baru/", {**TICKET, "upload_token": token.group(1)}).content.decode()
    filed = client.post("/tiket/baru/", {**TICKET, "confirm": "1", "upload_token": token.group(1)})
    assert filed.status_code == 302
    ticket = Ticket.objects.get(reporter=world.op_a)
    assert Attachment.objects.filter(ticket=ticket, content_type="image/png").count() == 1


def test_a_refused_file_refuses_the_ticket_with_the_error_beside_the_field(world: World, answer: Entry) -> None:
    client = web(world.op_a)
    disguised = SimpleUploadedFile("foto.png", b"MZ\x90\x00" + b"\x00" * 200, "image/png")
    page = client.post("/tiket/baru/", {**TICKET, "confirm": "1", "file": disguised})
    html = page.content.decode()
    assert Ticket.objects.count() == 0
    field = html.split('id="id_file_error"')[1].split("</ul>")[0]
    assert "Jenis berkas tidak diizinkan" in field
    assert 'value="Impor data penduduk dari Excel gagal terus"' in html  # what was typed stays
