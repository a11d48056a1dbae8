"""Only published, masked entries are public documents: private tickets, drafts, archived entries and the original
values behind the placeholders never reach public search, the API or the public pages."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from helpdesk.kb import services
from helpdesk.kb.models import Entry
from search import SearchQuery, get_backend
from tests.kb.conftest import World, fresh, publish, solved_ticket, web

pytestmark = pytest.mark.django_db


def public_hits(q: str) -> list[dict[str, object]]:
    return APIClient().get("/api/v1/kb/search/", {"q": q}).json()["results"]


def test_private_ticket_text_never_appears_in_public_search(world: World) -> None:
    ticket = solved_ticket(world, title="Zygomorfik rahasia desa", description="Kata unik zygomorfik dari tiket privat.",
                           answer="Balasan zygomorfik dari relawan.")
    assert ticket.visibility == "private"
    assert public_hits("zygomorfik") == []
    assert APIClient().get("/api/v1/kb/suggest/", {"q": "zygomorfik rahasia"}).json()["results"] == []
    # Nothing of type "ticket" or "question" is a kb document, and no kb document holds the ticket's words.
    results = get_backend().search(SearchQuery(text="zygomorfik", doc_types=("kb",)))
    assert results.hits == []


def test_drafts_and_entries_in_review_are_not_public(world: World) -> None:
    ticket = solved_ticket(world, description="Kata unik kuadrilion di tiket.")
    draft = services.entry_create(actor=fresh(world.vol_lotim), data=services.EntryInput(
        title="Kuadrilion draf", answer="Jawaban kuadrilion."), source_ticket=ticket, submit=True).entry
    assert draft.awaiting_review
    assert public_hits("kuadrilion") == []
    assert web().get(draft.get_absolute_url()).status_code == 404
    assert APIClient().get(f"/api/v1/kb/entries/{draft.pk}/").status_code == 404
    assert web(world.vol_bima).get(draft.get_absolute_url()).status_code == 404


def test_masked_values_are_not_searchable_and_findings_never_leave(world: World) -> None:
    ticket = solved_ticket(world, description="Warga NIK 5203 0123 4567 0002 telp 0812-3456-7890 nama Operator "
                                              "Tanjung Luar gagal impor.")
    saved = services.entry_create(actor=fresh(world.coord_lotim), data=services.EntryInput(
        title="Gagal impor warga", question=ticket.description, answer="Impor ulang."), source_ticket=ticket,
        submit=True)
    assert saved.outcome == "held"  # what was masked is shown to the editor before it goes out
    entry = services.entry_publish(entry=saved.entry, actor=fresh(world.coord_lotim))
    assert entry.is_published
    assert "5203" not in entry.question and entry.mask_findings
    for needle in ("5203 0123 4567 0002", "5203012345670002", "081234567890", "Operator Tanjung Luar"):
        assert public_hits(needle) == [] or all(h["id"] != entry.pk for h in public_hits(needle)), needle
    page = web().get(entry.get_absolute_url()).content.decode()
    assert "5203" not in page and "0812" not in page and "[NIK_1]" in page
    api = APIClient().get(f"/api/v1/kb/entries/{entry.pk}/").content.decode()
    assert "5203" not in api and "mask_findings" not in api
    # The findings are for those who may edit: the coordinator sees the originals in the editor.
    assert "5203 0123 4567 0002" in web(world.coord_lotim).get(f"/kb/{entry.pk}/ubah/").content.decode()
    assert web(world.vol_bima).get(f"/kb/{entry.pk}/ubah/").status_code == 403


def test_index_holds_only_published_entries(world: World) -> None:
    published = publish(world, title="Layanan mandiri lupa PIN", answer="Reset PIN dari menu pendaftar.")
    services.entry_create(actor=fresh(world.vol_lotim), data=services.EntryInput(
        title="Layanan mandiri draf", answer="Belum."))
    assert get_backend().count("kb") == 1
    assert [h["id"] for h in public_hits("layanan mandiri")] == [published.pk]
    assert Entry.objects.count() == 2
