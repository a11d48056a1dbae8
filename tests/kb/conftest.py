"""The knowledge base's test world: the tickets world (NTB forums, operators, volunteers, coordinators) plus helpers
to make solved tickets and published entries through the services."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from helpdesk.accounts.models import User
from helpdesk.kb import services
from helpdesk.kb.models import Entry
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.models import Ticket
from search.synonyms import invalidate_synonyms
from search.vocabulary import invalidate_vocabulary
from tests.tickets.conftest import DESA_A, DESA_B, DESA_BIMA, World, api, world

__all__ = ["DESA_A", "DESA_B", "DESA_BIMA", "World", "api", "client_for", "fresh", "import_lines", "publish",
           "solved_ticket", "web", "world"]


@pytest.fixture(autouse=True)
def _fresh_search_caches() -> Any:
    """Each test has its own database: the per-process vocabulary and synonym caches must not outlive it."""
    invalidate_vocabulary()
    invalidate_synonyms()
    yield
    invalidate_vocabulary()
    invalidate_synonyms()


def fresh(user: User) -> User:
    """A new instance, as each request has: roles are cached per user object."""
    return User.objects.get(pk=user.pk)


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=fresh(user))
    return client


def web(user: User | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def solved_ticket(world: World, *, description: str = "", answer: str = "", title: str = "", **fields: Any) -> Ticket:
    """A ticket of Desa A (Lombok Timur) answered by vol_lotim and solved by its reporter with that answer."""
    ticket = ticket_services.ticket_create(
        reporter=world.op_a,
        title=title or "Gagal impor data penduduk dari Excel",
        description=description or "Saat impor file Excel penduduk muncul galat Data too long for column.",
        category=fields.pop("category", "kependudukan"),
        **fields,
    )
    reply = ticket_services.message_create(
        ticket=ticket, author=fresh(world.vol_lotim),
        body=answer or "Potong kolom nama jadi maksimal 100 karakter lalu impor ulang.",
    )
    ticket.refresh_from_db()
    ticket_services.ticket_resolve(ticket=ticket, actor=fresh(world.op_a), message_id=reply.pk)
    ticket.refresh_from_db()
    return ticket


def publish(world: World, *, title: str, answer: str, question: str = "", category: str = "kependudukan",
            region: str = "52.03", versions: str = "", tags: str = "") -> Entry:
    """A published entry written by an admin (who publishes directly, whatever the region)."""
    saved = services.entry_create(
        actor=fresh(world.admin),
        data=services.EntryInput(title=title, question=question, answer=answer, category=category,
                                 origin_region=region, versions=versions, tags=tags),
        submit=True,
    )
    assert saved.outcome == "published", saved.outcome
    return saved.entry


def import_lines(tmp_path: Path, lines: list[Any], *args: str, name: str = "kb.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)
                              for line in lines) + "\n", encoding="utf-8")
    call_command("kb_import", str(path), "--no-progress", *args)
    return path
