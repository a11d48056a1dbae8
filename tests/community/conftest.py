"""The forum's test world: the tickets world (NTB forums, operators of three desas, volunteers) plus helpers."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from helpdesk.accounts.models import User
from helpdesk.community import reputation
from helpdesk.community.models import ReputationKind
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.models import Message, Ticket
from tests.tickets.conftest import DESA_A, DESA_B, DESA_BIMA, World, api, world

__all__ = ["DESA_A", "DESA_B", "DESA_BIMA", "World", "api", "client_for", "fresh", "give_points", "question", "trust", "world"]


def fresh(user: User) -> User:
    """A new instance, as each request has: roles and reputation are cached per user object."""
    return User.objects.get(pk=user.pk)


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=fresh(user))
    return client


def give_points(user: User, points: int, key: str = "") -> None:
    """Reputation earned elsewhere (a published knowledge-base entry stands in for any source)."""
    reputation.award(user=user, kind=ReputationKind.KB_PUBLISHED, key=key or f"test:{user.pk}:{points}",
                     points=points, region_code=reputation.region_for(user, None))


def trust(user: User) -> None:
    """An accepted answer elsewhere: the account is no longer new, and may post links."""
    reputation.award(user=user, kind=ReputationKind.ACCEPTED, key=f"test-accepted:{user.pk}",
                     region_code=reputation.region_for(user, None))


def question(world: World, reporter: User | None = None, **fields: Any) -> Ticket:
    data = {"title": "Cara impor data penduduk dari Excel?", "description": "Selalu gagal di baris 20.",
            "category": "kependudukan", "visibility": "public"}
    data.update(fields)
    return ticket_services.ticket_create(reporter=reporter or world.op_a, **data)


def answer(ticket: Ticket, author: User, body: str = "Simpan sebagai .xlsx lalu impor ulang.") -> Message:
    return ticket_services.message_create(ticket=Ticket.objects.get(pk=ticket.pk), author=fresh(author), body=body)


@pytest.fixture
def q(world: World) -> Ticket:
    return question(world)
