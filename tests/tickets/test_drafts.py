"""Issue 15 item 9: an operator waiting for verification prepares their first ticket; it is kept as a draft (nobody
else sees it), filed exactly once the moment a coordinator verifies them, with its screenshot, and dropped if they
are rejected. The coordinators hear that someone is waiting in the app, as they already did by e-mail."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from helpdesk.accounts import services as account_services
from helpdesk.accounts.models import User
from helpdesk.core.errors import DomainError
from helpdesk.notifications.models import Notification
from helpdesk.tickets.models import Attachment, Ticket, TicketDraft
from helpdesk.tickets.services import drafts
from tests.accounts.conftest import drain_outbox
from tests.concurrency import run_together
from tests.factories import OperatorFactory

from .conftest import DESA_A, World, as_user, png_bytes

FORM = {"title": "Tidak bisa cetak surat keterangan", "description": "Halaman putih setelah klik Cetak.",
        "category": "kependudukan", "priority": "normal", "hosting": "lainnya", "visibility": "private",
        "confirm": "1"}


def pending_operator() -> User:
    return OperatorFactory(username="op_baru", email="op.baru@example.org", desa_code=DESA_A,
                           operator_status=User.OperatorStatus.PENDING)


def keep_draft(operator: User, screenshot: bytes | None = None) -> Client:
    client = Client()
    client.force_login(operator)
    data: dict[str, Any] = dict(FORM)
    if screenshot is not None:
        data["file"] = SimpleUploadedFile("layar.png", screenshot, "image/png")
    response = client.post("/tiket/baru/", data)
    assert response.status_code == 302 and response["Location"] == "/tiket/baru/"
    return client


def test_a_waiting_operator_prepares_a_draft_that_nobody_else_sees(world: World, api: Any) -> None:
    operator = pending_operator()
    client = Client()
    client.force_login(operator)
    page = client.get("/tiket/baru/").content.decode()
    assert "menunggu verifikasi" in page and "Simpan draf" in page
    keep_draft(operator, png_bytes())
    draft = TicketDraft.objects.get(reporter=operator)
    assert draft.title == FORM["title"] and draft.file_name == "layar.png" and bytes(draft.file_content)
    assert Ticket.objects.count() == 0  # no number, no queue, no SLA
    assert as_user(api, world.vol_lotim).get("/api/v1/tickets/").json()["results"] == []
    again = client.get("/tiket/baru/").content.decode()
    assert "Draf tersimpan" in again and "lampiran: layar.png" in again and FORM["title"] in again
    # The API keeps refusing a pending operator (docs/tickets.md): the draft is a page of the web form.
    refused = as_user(api, operator).post("/api/v1/tickets/", {k: v for k, v in FORM.items() if k != "confirm"},
                                          format="json")
    assert refused.status_code == 403


def test_verification_files_the_draft_once_with_its_screenshot_and_says_so(world: World, api: Any) -> None:
    operator = pending_operator()
    screenshot = png_bytes()
    keep_draft(operator, screenshot)
    mail.outbox.clear()
    verified = as_user(api, world.coord_lotim).post(f"/api/v1/accounts/{operator.pk}/verify/", format="json")
    assert verified.status_code == 200
    ticket = Ticket.objects.get(reporter=operator)
    assert ticket.number.startswith("NTB-") and ticket.forum == world.lotim and ticket.first_response_due
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.name == "layar.png" and attachment.file.read() == screenshot
    assert not TicketDraft.objects.filter(reporter=operator).exists()
    told = Notification.objects.get(user=operator, ticket_id=ticket.pk)
    assert ticket.number in told.text
    assert Notification.objects.filter(user=world.vol_lotim, ticket_id=ticket.pk).exists()  # the usual filing path
    drain_outbox()
    verification_mail = next(m for m in mail.outbox if m.to == [operator.email] and "diverifikasi" in m.body)
    assert ticket.number in verification_mail.body and ticket.get_absolute_url() in verification_mail.body
    # Verified twice: the second is refused (409) and files nothing more.
    again = as_user(api, world.admin).post(f"/api/v1/accounts/{operator.pk}/verify/", format="json")
    assert again.status_code == 409
    assert drafts.draft_file(operator=User.objects.get(pk=operator.pk)) is None
    assert Ticket.objects.filter(reporter=operator).count() == 1


def test_rejection_discards_the_draft_and_its_file(world: World) -> None:
    operator = pending_operator()
    keep_draft(operator, png_bytes())
    account_services.operator_reject(actor=world.coord_lotim, operator=operator, note="Bukan operator desa ini")
    assert not TicketDraft.objects.exists() and Ticket.objects.count() == 0
    assert not Attachment.objects.exists()


def test_a_draft_that_cannot_file_does_not_undo_the_verification(world: World) -> None:
    operator = pending_operator()
    keep_draft(operator)
    TicketDraft.objects.filter(reporter=operator).update(category="kategori-dihapus")
    account_services.operator_verify(actor=world.coord_lotim, operator=operator)
    assert User.objects.get(pk=operator.pk).operator_status == User.OperatorStatus.VERIFIED
    assert TicketDraft.objects.filter(reporter=operator).exists() and Ticket.objects.count() == 0


def test_the_coordinators_hear_in_the_app_that_someone_waits(world: World) -> None:
    account_services.operator_register(username="op.daftar", email="daftar@example.org",
                                       password="Sembalun-Lawang-2026", desa_code=DESA_A)
    notification = Notification.objects.get(user=world.coord_lotim, type="operator_pending")
    assert "op.daftar" in notification.text and notification.url == "/verifikasi-operator/"
    assert not notification.wants_email  # the accounts app mails them itself, once
    assert not Notification.objects.filter(user=world.vol_lotim, type="operator_pending").exists()


@pytest.mark.django_db(transaction=True)
def test_two_verifications_at_once_file_the_draft_once(world: World) -> None:
    operator = pending_operator()
    keep_draft(operator, png_bytes())
    deciders = [world.coord_lotim, world.admin]
    outcomes = run_together([
        (lambda actor=actor: account_services.operator_verify(actor=actor, operator=User.objects.get(pk=operator.pk)))
        for actor in deciders
    ])
    verified = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(verified) == 1 and len(refused) == 1, outcomes
    assert Ticket.objects.filter(reporter=operator).count() == 1
    assert Attachment.objects.filter(ticket__reporter=operator).count() == 1
    assert not TicketDraft.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_filing_the_same_draft_from_two_places_at_once_files_it_once(world: World) -> None:
    operator = pending_operator()
    keep_draft(operator)
    User.objects.filter(pk=operator.pk).update(operator_status=User.OperatorStatus.VERIFIED)
    filed = run_together([lambda: drafts.draft_file(operator=User.objects.get(pk=operator.pk))] * 3)
    assert not [f for f in filed if isinstance(f, Exception)], filed
    assert len(filed) == 3 and len([t for t in filed if t is not None]) == 1
    assert Ticket.objects.filter(reporter=operator).count() == 1
