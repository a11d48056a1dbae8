"""Issue 15 items 2 and 9 together: an operator waiting for verification goes through the "Sebelum mengirim, apakah
ini jawabannya?" step without JavaScript; the screenshot held on the server across the step is kept with the
draft, and arrives on the ticket when a coordinator verifies them."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from helpdesk.accounts import services as account_services
from helpdesk.accounts.models import User
from helpdesk.tickets.models import Attachment, Ticket, TicketDraft
from tests.factories import OperatorFactory
from tests.kb.conftest import DESA_A, World, publish, web
from tests.kb.test_suggest import TICKET
from tests.kb.test_suggest_upload import png

pytestmark = pytest.mark.django_db


def test_the_held_screenshot_is_kept_with_the_draft_and_arrives_on_verification(world: World) -> None:
    publish(world, title="Gagal impor data penduduk dari Excel: Data too long for column",
            answer="Potong isian kolom nama jadi maksimal 100 karakter, lalu impor ulang file Excel.")
    operator = OperatorFactory(username="op_tunggu", desa_code=DESA_A, operator_status=User.OperatorStatus.PENDING)
    client = web(operator)
    screenshot = png()
    shown = client.post("/tiket/baru/", {**TICKET, "file": SimpleUploadedFile("galat.png", screenshot, "image/png")})
    html = shown.content.decode()
    assert "Sebelum mengirim, apakah ini jawabannya?" in html and "Lampiran sudah tersimpan: galat.png" in html
    token = re.search(r'name="upload_token" value="([^"]+)"', html)
    assert token and not TicketDraft.objects.exists()
    kept = client.post("/tiket/baru/", {**TICKET, "confirm": "1", "upload_token": token.group(1)})
    assert kept.status_code == 302 and Ticket.objects.count() == 0
    assert TicketDraft.objects.get(reporter=operator).file_name == "galat.png"
    account_services.operator_verify(actor=world.coord_lotim, operator=operator)
    ticket = Ticket.objects.get(reporter=operator)
    assert ticket.title == TICKET["title"]
    assert Attachment.objects.get(ticket=ticket).name == "galat.png"
