"""The security tests' world: the tickets world (NTB forums, operators of three desas, volunteers, a coordinator,
an admin) plus a planner and one real object of every kind a URL can name, made through the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from helpdesk.accounts import forum_services
from helpdesk.accounts.models import User
from helpdesk.accounts.services import email_change_token
from helpdesk.community import services as forum_services_q
from helpdesk.kb import services as kb_services
from helpdesk.kb.models import Entry
from helpdesk.notifications.services import notify
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.models import Attachment, CannedReply, Message, Ticket
from tests.bots.conftest import bridge, fake
from tests.factories import OperatorFactory, UserFactory
from tests.realtime.conftest import live
from tests.tickets.conftest import DESA_A, World, png_bytes, world

__all__ = ["DESA_A", "ROLES", "Objects", "World", "bridge", "fake", "fresh", "live", "objects", "user_for", "web", "world"]

# Every role the permission table knows, in its column order.
ROLES = ("anon", "op", "op2", "vol", "vol2", "coord", "plan", "admin")


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


@dataclass
class Objects:
    world: World
    planner: User
    pending: User  # an operator of Desa A waiting for verification
    ticket: Ticket  # private, of op_a (Desa A, ForSID Lombok Timur)
    message: Message  # vol_lotim's reply on it
    attachment: Attachment  # op_a's screenshot on it
    question: Ticket  # public forum question of op_b
    answer: Message  # vol_lotim's answer to it
    comment: Any
    flag: Any
    proposal: Any
    entry: Entry  # published
    invitation: Any
    invitation_token: str
    notification: Any
    canned: Any  # a canned reply of ForSID Lombok Timur


def user_for(o: Objects, role: str) -> User | None:
    w = o.world
    return {
        "anon": None, "op": w.op_a, "op2": w.op_b, "vol": w.vol_lotim, "vol2": w.vol_bima,
        "coord": w.coord_lotim, "plan": o.planner, "admin": w.admin,
    }[role]


def web(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(fresh(user))  # signing in writes last_login on the instance it is given
    return client


@pytest.fixture
def objects(world: World, settings: Any) -> Objects:
    settings.METRICS_TOKEN = "token-pengumpul-metrik"  # /metrics answers 404 without one: the crawler sees the check
    planner = UserFactory(username="perencana", is_planner=True)
    pending = OperatorFactory(username="op_baru", desa_code=DESA_A, operator_status=User.OperatorStatus.PENDING)
    ticket = ticket_services.ticket_create(
        reporter=world.op_a, title="Gagal impor data penduduk dari Excel", description="Muncul galat saat impor.",
        category="kependudukan",
    )
    message = ticket_services.message_create(ticket=ticket, author=fresh(world.vol_lotim), body="Coba simpan ulang.")
    api = APIClient()
    api.force_authenticate(fresh(world.op_a))
    uploaded = api.post(f"/api/v1/tickets/{ticket.pk}/attachments/",
                        {"file": SimpleUploadedFile("layar.png", png_bytes(), content_type="image/png")})
    assert uploaded.status_code == 201, uploaded.content
    question = ticket_services.ticket_create(
        reporter=world.op_b, title="Cara cetak surat keterangan domisili?", description="Tombol cetak tidak muncul.",
        category="kependudukan", visibility="public",
    )
    answer = ticket_services.message_create(ticket=Ticket.objects.get(pk=question.pk), author=fresh(world.vol_lotim),
                                            body="Aktifkan modul surat di pengaturan.")
    comment = forum_services_q.comment_create(author=fresh(world.op_b), ticket=question, body="Terima kasih, berhasil.")
    flag = forum_services_q.flag_create(flagger=fresh(world.op_a), ticket=question, reason="off_topic", message=answer)
    proposal = forum_services_q.proposal_create(actor=fresh(world.vol_lotim), ticket=Ticket.objects.get(pk=ticket.pk))
    saved = kb_services.entry_create(
        actor=fresh(world.admin),
        data=kb_services.EntryInput(title="Impor data penduduk dari Excel", question="", category="kependudukan",
                                    answer="Simpan sebagai .xlsx lalu impor ulang.", origin_region="52.03",
                                    versions="", tags=""),
        submit=True,
    )
    new = forum_services.invitation_create(actor=fresh(world.coord_lotim), forum=world.lotim)
    notification = notify(user=world.op_a, event="ticket.replied", text="Balasan baru", url=f"/tiket/{ticket.number}/")
    return Objects(
        world=world, planner=planner, pending=pending, ticket=Ticket.objects.get(pk=ticket.pk), message=message,
        attachment=Attachment.objects.get(pk=uploaded.json()["id"]), question=Ticket.objects.get(pk=question.pk),
        answer=answer, comment=comment, flag=flag, proposal=proposal, entry=saved.entry, invitation=new.invitation,
        invitation_token=new.token, notification=notification,
        canned=CannedReply.objects.create(forum=world.lotim, title="Salam", body="Halo {nama_operator}.",
                                          created_by=world.coord_lotim),
    )


def reset_path(user: User) -> tuple[str, str]:
    user = fresh(user)  # the token hangs on last_login, as the database has it
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


def email_token(user: User) -> str:
    return email_change_token(user, "baru@contoh.desa.id")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The figure issue 16 asks for: how many generated API requests the schema fuzzing sent."""
    from . import test_schema_fuzz

    cases = test_schema_fuzz.CASES
    if cases["run"] or cases["sweep"]:
        terminalreporter.write_line(f"schema fuzzing: {cases['run'] + cases['sweep']} cases run against a live server "
                                    f"({cases['run']} generated, {cases['sweep']} in the canary sweep)")
