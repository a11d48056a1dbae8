"""Reputation: where points come from, what levels unlock, limits for new accounts, leaderboards per forum and
kabupaten (monthly and all-time), and the monthly post to each forum's Telegram group."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from bots.models import OutboundMessage
from helpdesk.community import jobs, reputation, selectors
from helpdesk.community.models import Reputation, ReputationEvent
from helpdesk.tickets.models import Ticket
from tests.community.conftest import DESA_B, DESA_BIMA, World, answer, client_for, give_points, question
from tests.factories import OperatorFactory

LIMITS = {
    "forum_flag": (10, 3600), "forum_vote": (100, 3600), "forum_comment": (100, 3600),
    "forum_new_account_post": (3, 86400), "message_create": (1000, 3600), "ticket_create": (1000, 3600),
    "attachment_create": (100, 3600),
}


def test_levels(world: World) -> None:
    assert reputation.level_for(0).number == 0
    assert reputation.level_for(10).number == 1
    assert reputation.level_for(149).number == 2
    assert reputation.level_for(10_000).number == 4
    assert reputation.next_level(30) == reputation.LEVELS[3]


def test_commenting_on_other_peoples_posts_needs_the_level_but_not_on_your_own(world: World) -> None:
    q = question(world)
    a = answer(q, world.op_b)
    url = f"/api/v1/forum/questions/{q.pk}/comments/"
    stranger = OperatorFactory(username="tetangga", desa_code=DESA_BIMA)
    refused = client_for(stranger).post(url, {"body": "Versi berapa?"}, format="json")
    assert refused.status_code == 403 and "25 poin" in refused.json()["detail"]
    assert client_for(world.op_a).post(url, {"body": "Versi 2410."}, format="json").status_code == 201  # the asker
    assert client_for(world.op_b).post(url, {"body": "Berhasil?", "message": a.pk}, format="json").status_code == 201
    give_points(stranger, 25)
    ok = client_for(stranger).post(url, {"body": "Sudah coba .xlsx?"}, format="json")
    assert ok.status_code == 201 and ok.json()["body"] == "Sudah coba .xlsx?"
    assert client_for(world.vol_bima).post(url, {"body": "Relawan bertanya"}, format="json").status_code == 201


def test_upvotes_and_accepted_answers_unlock_voting_then_commenting(world: World) -> None:
    helper = OperatorFactory(username="penolong", desa_code=DESA_BIMA)
    q = question(world)
    a = answer(q, helper)
    assert client_for(helper).post(f"/api/v1/messages/{a.pk}/vote/", {"value": 1}, format="json").status_code == 403
    client_for(world.op_a).post(f"/api/v1/tickets/{q.pk}/accept/", {"message": a.pk}, format="json")
    client_for(world.vol_lotim).post(f"/api/v1/messages/{a.pk}/vote/", {"value": 1}, format="json")
    client_for(world.vol_bima).post(f"/api/v1/messages/{a.pk}/vote/", {"value": 1}, format="json")
    assert Reputation.objects.get(user=helper).points == 15 + 5 + 5
    other = question(world, reporter=world.op_b, title="Peta wilayah tidak tampil")
    b = answer(other, world.vol_bima)
    assert client_for(helper).post(f"/api/v1/messages/{b.pk}/vote/", {"value": 1}, format="json").status_code == 200
    assert client_for(helper).post(f"/api/v1/forum/questions/{other.pk}/comments/", {"body": "Pakai Leaflet?"},
                                   format="json").status_code == 201


def test_the_knowledge_base_hook_awards_once_and_can_take_back(world: World) -> None:
    assert reputation.kb_entry_published(user=world.op_b, entry_id=7, forum_id=world.lotim.pk, region_code=DESA_B)
    assert not reputation.kb_entry_published(user=world.op_b, entry_id=7, forum_id=world.lotim.pk)
    row = ReputationEvent.objects.get(user=world.op_b)
    assert (row.kind, row.points, row.region_code) == ("kb_published", 20, "52.03")
    assert reputation.kb_entry_unpublished(user=world.op_b, entry_id=7)
    assert Reputation.objects.get(user=world.op_b).points == 0


def test_rebuild_recomputes_the_totals_from_the_ledger(world: World) -> None:
    give_points(world.op_b, 30)
    give_points(world.op_b, 12, key="lain")
    Reputation.objects.filter(user=world.op_b).update(points=999)
    reputation.rebuild()
    assert Reputation.objects.get(user=world.op_b).points == 42


@override_settings(RATE_LIMITS=LIMITS)
def test_new_accounts_post_a_few_times_a_day(world: World) -> None:
    newcomer = OperatorFactory(username="pendatang", desa_code=DESA_B)
    give_points(world.op_bima, 10)  # an established asker
    questions = [question(world, reporter=world.op_bima, title=f"Pertanyaan {i}") for i in range(4)]
    statuses = [client_for(newcomer).post(f"/api/v1/tickets/{q.pk}/messages/", {"body": f"Coba langkah {i}"},
                                          format="json").status_code for i, q in enumerate(questions)]
    assert statuses == [201, 201, 201, 429]
    # Their own question's thread is not limited (they answer the helpers), and neither are volunteers.
    mine = question(world, reporter=world.op_a)
    assert client_for(world.vol_bima).post(f"/api/v1/tickets/{mine.pk}/messages/", {"body": "Relawan"},
                                           format="json").status_code == 201
    newcomer_asker = OperatorFactory(username="penanya-baru", desa_code=DESA_BIMA)
    own = question(world, reporter=newcomer_asker, title="Pertanyaan pendatang")
    asker = client_for(newcomer_asker)
    for i in range(4):
        assert asker.post(f"/api/v1/tickets/{own.pk}/messages/", {"body": f"Info {i}"},
                          format="json").status_code == 201
    # Established members are not limited.
    give_points(newcomer, 10)
    assert client_for(newcomer).post(f"/api/v1/tickets/{questions[3].pk}/messages/", {"body": "Sekarang boleh"},
                                     format="json").status_code == 201


@override_settings(RATE_LIMITS=LIMITS)
def test_new_accounts_ask_a_few_public_questions_a_day_private_tickets_are_not_limited(world: World) -> None:
    body = {"title": "Tanya", "description": "Uraian", "category": "lainnya"}
    statuses = [client_for(world.op_b).post("/api/v1/forum/questions/", {**body, "title": f"Tanya {i}"},
                                            format="json").status_code for i in range(4)]
    assert statuses == [201, 201, 201, 429]
    private = client_for(world.op_b).post("/api/v1/tickets/", body, format="json")
    assert private.status_code == 201


@pytest.mark.parametrize("text", [
    "lihat https://contoh.com/panduan", "cek www.contoh.com", "[panduan](//contoh.com)", "<http://contoh.com>",
    "[panduan]: http://contoh.com",
])
def test_links_only_after_the_first_accepted_answer(world: World, text: str) -> None:
    q = question(world)
    refused = client_for(world.op_b).post(f"/api/v1/tickets/{q.pk}/messages/", {"body": text}, format="json")
    assert refused.status_code == 400 and "Tautan" in refused.json()["fields"]["body"][0]
    asked = client_for(world.op_b).post("/api/v1/forum/questions/", {"title": "Tanya", "description": text,
                                                                      "category": "lainnya"}, format="json")
    assert asked.status_code == 400 and "description" in asked.json()["fields"]
    give_points(world.op_b, 100)  # points alone do not open links
    assert client_for(world.op_b).post(f"/api/v1/tickets/{q.pk}/messages/", {"body": text},
                                       format="json").status_code == 400
    earlier = question(world, reporter=world.op_bima, title="Lain")
    helped = answer(earlier, world.op_b, "Jawaban tanpa tautan")
    client_for(world.op_bima).post(f"/api/v1/tickets/{earlier.pk}/accept/", {"message": helped.pk}, format="json")
    assert client_for(world.op_b).post(f"/api/v1/tickets/{q.pk}/messages/", {"body": text},
                                       format="json").status_code == 201
    # Volunteers and private tickets were never limited.
    assert client_for(world.vol_lotim).post(f"/api/v1/tickets/{q.pk}/messages/", {"body": text},
                                            format="json").status_code == 201


def test_a_link_in_a_plain_domain_is_not_a_link(world: World) -> None:
    q = question(world)
    response = client_for(world.op_b).post(f"/api/v1/tickets/{q.pk}/messages/",
                                           {"body": "Buka menu Pengaturan lalu isi desa.id pada kolom domain"},
                                           format="json")
    assert response.status_code == 201


def _points(world: World) -> None:
    give_points(world.op_b, 30, key="lotim-now")  # region 52.03
    ReputationEvent.objects.filter(key="lotim-now").update(forum=world.lotim)
    give_points(world.op_bima, 50, key="bima-now")  # region 52.06
    ReputationEvent.objects.filter(key="bima-now").update(forum=world.bima)
    give_points(world.op_a, 80, key="lotim-old")
    ReputationEvent.objects.filter(key="lotim-old").update(forum=world.lotim,
                                                            created_at=timezone.now() - timedelta(days=70))


def test_leaderboards_per_forum_and_kabupaten_monthly_and_all_time(world: World) -> None:
    _points(world)
    api = client_for(None)

    def names(url: str) -> list[tuple[str, int]]:
        return [(r["user"]["username"], r["points"]) for r in api.get(url).json()["results"]]

    assert names(f"/api/v1/forum/leaderboard/?forum={world.lotim.pk}") == [("op_b", 30)]
    assert names(f"/api/v1/forum/leaderboard/?forum={world.lotim.pk}&period=all") == [("op_a", 80), ("op_b", 30)]
    assert names("/api/v1/forum/leaderboard/?region=52.06") == [("op_bima", 50)]
    assert names("/api/v1/forum/leaderboard/?region=52.03.01.2001&period=all") == [("op_a", 80), ("op_b", 30)]
    assert names("/api/v1/forum/leaderboard/") == [("op_bima", 50), ("op_b", 30)]
    page = Client().get(f"/forum/peringkat/?forum={world.lotim.pk}&periode=semua").content.decode()
    assert page.index(world.op_a.display_name) < page.index(world.op_b.display_name)
    home = Client().get("/forum/").content.decode()
    assert "Penolong bulan ini" in home and world.op_bima.display_name in home


def test_the_monthly_leaderboard_goes_to_each_forum_group_once(world: World) -> None:
    wita = ZoneInfo("Asia/Makassar")
    world.lotim.telegram_chat_id = -100123
    world.lotim.save()
    world.bima.telegram_chat_id = -100456
    world.bima.save()
    last_month = datetime(2026, 10, 15, 10, tzinfo=wita)
    give_points(world.op_b, 30, key="oktober")
    ReputationEvent.objects.filter(key="oktober").update(forum=world.lotim, created_at=last_month)
    give_points(world.op_a, 10, key="november")  # this month: not on October's board
    ReputationEvent.objects.filter(key="november").update(forum=world.lotim,
                                                          created_at=datetime(2026, 11, 1, 9, tzinfo=wita))

    assert jobs.post_monthly_leaderboards(datetime(2026, 11, 10, 9, tzinfo=wita)) == 0  # past the first days
    assert jobs.post_monthly_leaderboards(datetime(2026, 11, 1, 8, tzinfo=wita)) == 1  # Bima had no points
    assert jobs.post_monthly_leaderboards(datetime(2026, 11, 2, 8, tzinfo=wita)) == 1  # again: same purpose key
    sent = OutboundMessage.objects.get()
    assert sent.chat_id == -100123 and sent.key == f"forum-leaderboard:{world.lotim.pk}:2026-10"
    assert "Oktober 2026" in sent.text and world.op_b.display_name in sent.text
    assert world.op_a.display_name not in sent.text
    world.lotim.telegram_chat_id = None
    world.lotim.save()
    assert jobs.post_monthly_leaderboards(datetime(2026, 12, 1, 8, tzinfo=wita)) == 0


def test_telegram_text_escapes_names(world: World) -> None:
    world.op_b.name = "<b>Budi</b> & co"
    world.op_b.save()
    give_points(world.op_b, 30, key="x")
    leaders = selectors.leaderboard(limit=5)
    text = jobs.leaderboard_text(world.lotim, timezone.now(), timezone.now(), leaders)
    assert "&lt;b&gt;Budi&lt;/b&gt; &amp; co" in text


def test_private_tickets_points_are_counted_but_their_posts_never_listed_on_profiles(world: World) -> None:
    private = world.ticket()
    reply = answer(private, world.vol_lotim, "Rahasia desa: password admin")
    client_for(world.op_a).post(f"/api/v1/tickets/{private.pk}/resolve/", {"message": reply.pk}, format="json")
    q = question(world)
    public_answer = answer(q, world.vol_lotim, "Jawaban publik")
    profile = client_for(None).get(f"/api/v1/forum/users/{world.vol_lotim.username}/").json()
    assert profile["reputation"] == 15 and profile["accepted_answers"] == 1
    assert [a["id"] for a in profile["answers"]] == [public_answer.pk]
    assert profile["accepted"] == []
    page = Client().get(f"/forum/pengguna/{world.vol_lotim.username}/").content.decode()
    assert "Rahasia desa" not in page and Ticket.objects.get(pk=private.pk).title not in page
