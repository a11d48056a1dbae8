"""Issue 15 item 7: one search box, the same on the home page, the knowledge base and the forum, that finds
knowledge-base entries and public forum questions together (and, for volunteers and coordinators, the tickets
they may see), on the database backend and on the engine. With nothing found it offers "Tanya di forum" and
"Laporkan masalah" to whoever can use them, sign-in links to visitors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from helpdesk.core.outbox import Dispatcher
from helpdesk.kb.models import SearchLog
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.models import Ticket
from tests.kb.conftest import World, publish, web
from tests.search.conftest import engine_factory, engine_node, engine_upstream, use_backend

__all__ = ["engine_factory", "engine_node", "engine_upstream", "use_backend"]


def seed(world: World) -> tuple[Any, Ticket, Ticket]:
    entry = publish(world, title="Gagal impor data penduduk dari Excel",
                    answer="Potong kolom nama jadi maksimal 100 karakter, lalu impor ulang.")
    public = ticket_services.ticket_create(reporter=world.op_b, title="Impor penduduk berhenti di baris 20",
                                           description="Muncul galat saat impor penduduk.",
                                           category="kependudukan", visibility="public")
    private = ticket_services.ticket_create(reporter=world.op_a, title="Impor penduduk rahasia desa A",
                                            description="Data pribadi.", category="kependudukan")
    Dispatcher("t").drain()
    return entry, public, private


def links(html: str) -> list[str]:
    return re.findall(r'<li class="hit-[a-z]+"><span class="badge">[^<]*</span> <a href="([^"]+)"', html) + \
        re.findall(r'<li class="hit-ticket"><a href="([^"]+)"', html)


def check_both_kinds_found(world: World) -> None:
    entry, public, private = seed(world)
    html = web().get("/cari/", {"q": "impor penduduk"}).content.decode()
    found = links(html)
    assert any(u.startswith(entry.get_absolute_url() + "?cari=") for u in found), found
    assert f"/forum/pertanyaan/{public.number}/" in found  # the question's page in the community forum
    assert private.get_absolute_url() not in html  # a visitor never finds a private ticket
    assert "Basis pengetahuan" in html and "Forum" in html
    # A volunteer of the team also finds the tickets they may see, through the ticket access door.
    volunteer_html = web(world.vol_lotim).get("/cari/", {"q": "impor penduduk"}).content.decode()
    assert private.get_absolute_url() in volunteer_html
    # An operator of another desa does not see desa A's private ticket; a Bima volunteer neither.
    assert private.get_absolute_url() not in web(world.op_b).get("/cari/", {"q": "impor penduduk"}).content.decode()
    assert private.get_absolute_url() not in web(world.vol_bima).get("/cari/",
                                                                     {"q": "impor penduduk"}).content.decode()


@pytest.mark.django_db
def test_one_search_finds_kb_entries_and_public_questions_on_the_database(world: World) -> None:
    check_both_kinds_found(world)
    assert SearchLog.objects.filter(channel="web").exists()  # the knowledge base still learns from web searches


@pytest.mark.search_engine
@pytest.mark.django_db(transaction=True)
def test_one_search_finds_kb_entries_and_public_questions_on_the_engine(
    world: World, engine_factory: Any, use_backend: Any
) -> None:
    engine = engine_factory()
    use_backend(engine)
    check_both_kinds_found(world)
    assert engine.count("kb") == 1 and engine.count("question") == 1


BOX = '<form class="site-search" action="/cari/" role="search">'


@pytest.mark.django_db
def test_the_same_box_is_on_home_kb_and_forum_and_in_the_header_elsewhere(world: World) -> None:
    for path in ("/", "/kb/", "/forum/", "/cari/"):  # one box each: the page's own, not a second in the header
        header, main = web().get(path).content.decode().split('<main id="isi"')
        assert header.count(BOX) == 0 and main.count(BOX) == 1, path
    for user, path in ((world.op_a, "/tiket/"), (world.op_a, "/notifikasi/"), (world.vol_lotim, "/antrian/")):
        response = web(user).get(path)
        assert response.status_code == 200
        assert response.content.decode().split('<main id="isi"')[0].count(BOX) == 1, (user, path)


@pytest.mark.django_db
def test_nothing_found_offers_the_forum_and_a_report_to_whoever_can(world: World) -> None:
    q = {"q": "zzqx tidak ada sama sekali"}
    visitor = web().get("/cari/", q).content.decode()
    assert 'id="tanpa-hasil"' in visitor
    assert "/masuk/?next=%2Fforum%2Ftanya%2F" in visitor and "/masuk/?next=%2Ftiket%2Fbaru%2F" in visitor
    operator = web(world.op_a).get("/cari/", q).content.decode()
    assert 'href="/forum/tanya/"' in operator and 'href="/tiket/baru/"' in operator
    volunteer = web(world.vol_lotim).get("/cari/", q).content.decode()
    assert 'href="/tiket/baru/"' not in volunteer.split('id="tanpa-hasil"')[1]  # a volunteer cannot file one


@pytest.mark.django_db
def test_a_ticket_number_finds_the_ticket_for_its_team(world: World) -> None:
    _entry, _public, private = seed(world)
    html = web(world.coord_lotim).get("/cari/", {"q": private.number}).content.decode()
    assert private.get_absolute_url() in html
