"""The forum's pages and lists: fixed query counts whatever the length, every form works without JavaScript."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from helpdesk.community.models import Comment, Flag, PostScore, Vote
from helpdesk.tickets.models import Message, Status, Ticket
from tests.community.conftest import World, answer, client_for, give_points, question


def _count(fn: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
        assert response.status_code == 200, getattr(response, "content", b"")[:500]
    return len(ctx.captured_queries)


def _questions(world: World, n: int) -> None:
    give_points(world.op_a, 10)  # past the new-account limit
    for i in range(n):
        question(world, title=f"Pertanyaan nomor {i}")


def test_lists_use_a_fixed_number_of_queries(world: World) -> None:
    _questions(world, 3)
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(world.op_b)
    counts_small = [
        _count(lambda: client_for(None).get("/api/v1/forum/questions/")),
        _count(lambda: anonymous.get("/forum/")),
        _count(lambda: signed_in.get("/forum/")),
        _count(lambda: anonymous.get("/forum/?tampil=belum-dijawab")),
    ]
    _questions(world, 27)
    counts_large = [
        _count(lambda: client_for(None).get("/api/v1/forum/questions/")),
        _count(lambda: anonymous.get("/forum/")),
        _count(lambda: signed_in.get("/forum/")),
        _count(lambda: anonymous.get("/forum/?tampil=belum-dijawab")),
    ]
    assert counts_small == counts_large, (counts_small, counts_large)
    assert counts_large[0] <= 2 and counts_large[1] <= 6


def test_a_question_with_many_answers_takes_the_same_queries_as_one_with_few(world: World) -> None:
    q = question(world)
    voters = [world.vol_lotim, world.vol_bima]

    def grow(n: int) -> None:
        for i in range(n):
            a = answer(q, world.vol_bima if i % 2 else world.vol2_lotim, f"Jawaban {i}")
            for v in voters:
                if v.pk != a.author_id:
                    client_for(v).post(f"/api/v1/messages/{a.pk}/vote/", {"value": 1}, format="json")
            Comment.objects.create(ticket=q, message=a, author=world.op_a, body="Terima kasih", body_html="<p>ok</p>")

    grow(2)
    volunteer = Client()
    volunteer.force_login(world.vol_lotim)
    small = [
        _count(lambda: client_for(None).get(f"/api/v1/forum/questions/{q.pk}/")),
        _count(lambda: client_for(world.op_b).get(f"/api/v1/forum/questions/{q.pk}/")),
        _count(lambda: Client().get(f"/forum/pertanyaan/{q.number}/")),
        _count(lambda: volunteer.get(f"/forum/pertanyaan/{q.number}/")),
    ]
    grow(20)
    large = [
        _count(lambda: client_for(None).get(f"/api/v1/forum/questions/{q.pk}/")),
        _count(lambda: client_for(world.op_b).get(f"/api/v1/forum/questions/{q.pk}/")),
        _count(lambda: Client().get(f"/forum/pertanyaan/{q.number}/")),
        _count(lambda: volunteer.get(f"/forum/pertanyaan/{q.number}/")),
    ]
    assert small == large, (small, large)


def test_the_moderation_queue_and_profiles_use_a_fixed_number_of_queries(world: World) -> None:
    q = question(world)
    coordinator = client_for(world.coord_lotim)

    def flags(n: int) -> None:
        for _ in range(n):
            a = answer(q, world.vol_bima)
            Flag.objects.create(ticket=q, message=a, target=f"m:{a.pk}", forum=world.lotim, flagger=world.op_b,
                                reason="spam")

    flags(2)
    small = [_count(lambda: client_for(world.coord_lotim).get("/api/v1/forum/moderation/")),
             _count(lambda: client_for(None).get(f"/api/v1/forum/users/{world.vol_bima.username}/"))]
    flags(15)
    large = [_count(lambda: client_for(world.coord_lotim).get("/api/v1/forum/moderation/")),
             _count(lambda: client_for(None).get(f"/api/v1/forum/users/{world.vol_bima.username}/"))]
    assert small == large
    assert len(coordinator.get("/api/v1/forum/moderation/").json()["results"]) == 17


def test_everything_works_with_plain_forms(world: World) -> None:
    """Ask, answer, vote, comment, accept, flag and review, all as form posts (no JavaScript)."""
    give_points(world.op_bima, 30)
    asker, helper, voter, coordinator = Client(), Client(), Client(), Client()
    asker.force_login(world.op_a)
    helper.force_login(world.op_bima)
    voter.force_login(world.vol_lotim)
    coordinator.force_login(world.coord_lotim)

    similar = asker.post("/forum/tanya/", {"title": "Gagal impor", "description": "", "category": "kependudukan",
                                          "hosting": "lainnya", "periksa": "1"})
    assert similar.status_code == 200 and not Ticket.objects.exists()  # only looked for similar questions
    sent = asker.post("/forum/tanya/", {
        "title": "Gagal impor penduduk, NIK 5203011204850001", "description": "Hubungi 081234567890",
        "category": "kependudukan", "hosting": "lainnya", "kirim": "1"}, follow=True)
    ticket = Ticket.objects.get()
    assert ticket.is_public and "5203011204850001" not in ticket.title and "081234567890" not in ticket.description
    page = sent.content.decode()
    assert "disamarkan" in page and "[NIK_1]" in page

    url = f"/forum/pertanyaan/{ticket.number}/"
    helper.post(f"{url}jawab/", {"body": "Ubah kolom NIK menjadi teks di Excel."})
    reply = Message.objects.get(ticket=ticket, kind="reply")
    voter.post(f"{url}aksi/suara/", {"message": reply.pk, "value": "1"})
    assert PostScore.objects.get(message=reply).score == 1
    refused = voter.post(f"{url}aksi/suara/", {"message": reply.pk, "value": "-1"}, follow=True)
    assert "alasan" in refused.content.decode().lower() and PostScore.objects.get(message=reply).score == 1
    voter.post(f"{url}aksi/tarik-suara/", {"message": reply.pk})
    assert not Vote.objects.exists()
    helper.post(f"{url}aksi/komentar/", {"body": "Versi berapa?"})
    assert Comment.objects.get().author == world.op_bima
    done = asker.post(f"{url}aksi/terima/", {"message": reply.pk}, follow=True)
    assert "Jawaban diterima" in done.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.SELESAI and ticket.accepted_message_id == reply.pk

    for which, expected in (("lapor", 'name="flag"'), ("turun", 'name="reason"'), ("komentar", 'name="body"')):
        tool = voter.get(f"{url}alat/?aksi={which}&jawaban={reply.pk}")
        assert tool.status_code == 200 and expected in tool.content.decode(), which
    assert voter.get(f"{url}alat/?aksi=hapus-semua").status_code == 404
    question_page = voter.get(url).content.decode()
    assert f"alat/?aksi=lapor&amp;jawaban={reply.pk}" in question_page
    voter.post(f"{url}aksi/lapor/", {"message": reply.pk, "flag": "rude", "note": "kasar"})
    flag = Flag.objects.get()
    queue = coordinator.get("/forum/moderasi/").content.decode()
    assert "kasar" in queue and ticket.number in queue
    coordinator.post("/forum/moderasi/", {"flag": flag.pk, "decision": "dismiss"})
    assert Flag.objects.get().state == "dismissed"

    edit_page = helper.get(f"{url}sunting/?jawaban={reply.pk}")
    assert edit_page.status_code == 200 and "Ubah kolom NIK" in edit_page.content.decode()
    helper.post(f"{url}sunting/", {"message": reply.pk, "body": "Ubah kolom NIK menjadi teks.", "reason": "rapi"})
    assert Message.objects.get(pk=reply.pk).body == "Ubah kolom NIK menjadi teks."
    assert "Ubah kolom NIK menjadi teks di Excel." in helper.get(f"{url}riwayat/?jawaban={reply.pk}").content.decode()
    assert voter.get(f"{url}riwayat/?jawaban={reply.pk}").status_code == 403


def test_the_profile_page_shows_reputation_and_the_account_page_links_to_it(world: World) -> None:
    give_points(world.op_b, 30)
    page = Client().get(f"/forum/pengguna/{world.op_b.username}/").content.decode()
    assert 'id="reputasi">30<' in page and "Penggerak" in page
    assert Client().get("/forum/pengguna/tidak-ada/").status_code == 404
    own = Client()
    own.force_login(world.op_b)
    assert f"/forum/pengguna/{world.op_b.username}/" in own.get("/profil/").content.decode()


def test_an_account_with_no_public_side_has_no_public_page(world: World) -> None:
    # An admin who never wrote in public: the address must not confirm the account exists ...
    assert Client().get(f"/forum/pengguna/{world.admin.username}/").status_code == 404
    own = Client()
    own.force_login(world.admin)
    assert own.get(f"/forum/pengguna/{world.admin.username}/").status_code == 200  # ... except to its owner
    assert client_for(None).get(f"/api/v1/forum/users/{world.admin.username}/").status_code == 404  # the API too
    # A ForSID volunteer serves in public: their page is there before their first answer.
    assert Client().get(f"/forum/pengguna/{world.vol_lotim.username}/").status_code == 200


def test_bad_parameters_are_400_not_500(world: World) -> None:
    api = client_for(None)
    assert api.get("/api/v1/forum/questions/?filter=semua").status_code == 400
    assert api.get("/api/v1/forum/questions/?cursor=!!!").status_code == 400
    assert api.get("/api/v1/forum/leaderboard/?forum=99999").status_code == 400
    assert api.get("/api/v1/forum/questions/?q=" + "x" * 5000).status_code == 200
    assert Client().get("/forum/?cursor=!!!").status_code == 200
    assert client_for(world.op_b).post("/api/v1/forum/questions/", {"title": ""}, format="json").status_code == 400


def test_the_forum_api_is_documented(db: Any) -> None:
    schema = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    for path, methods in {
        "/api/v1/forum/questions/": {"get", "post"},
        "/api/v1/forum/questions/{ticket_id}/": {"get", "patch"},
        "/api/v1/tickets/{ticket_id}/accept/": {"post"},
        "/api/v1/messages/{message_id}/vote/": {"post", "delete"},
        "/api/v1/messages/{id}/flag/": {"post"},
        "/api/v1/forum/moderation/": {"get"},
        "/api/v1/forum/flags/{flag_id}/review/": {"post"},
        "/api/v1/forum/leaderboard/": {"get"},
    }.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path
    vote = schema["paths"]["/api/v1/messages/{message_id}/vote/"]["post"]
    assert vote["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/VoteInputRequest")


def test_many_answers_are_paged_and_actions_come_back_to_the_same_page(world: World) -> None:
    q = question(world)
    answers = [answer(q, world.vol_bima, f"Jawaban nomor {i}") for i in range(55)]
    first = Client().get(f"/forum/pertanyaan/{q.number}/").content.decode()
    assert first.count('<article class="answer') == 50 and "55 jawaban" in first and "?halaman=2" in first
    second = Client().get(f"/forum/pertanyaan/{q.number}/?halaman=2").content.decode()
    assert second.count('<article class="answer') == 5 and "Jawaban nomor 54" in second
    assert Client().get(f"/forum/pertanyaan/{q.number}/?halaman=99").status_code == 200  # the last page
    voter = Client()
    voter.force_login(world.vol_lotim)
    page = voter.get(f"/forum/pertanyaan/{q.number}/?halaman=2").content.decode()
    assert 'name="halaman" value="2"' in page
    response = voter.post(f"/forum/pertanyaan/{q.number}/aksi/suara/",
                          {"message": answers[-1].pk, "value": "1", "halaman": "2"})
    assert response["Location"] == f"/forum/pertanyaan/{q.number}/?halaman=2#jawaban-{answers[-1].pk}"
    # The voted answer now ranks first; the API gives every answer at once.
    assert Client().get(f"/forum/pertanyaan/{q.number}/").content.decode().index(f'id="jawaban-{answers[-1].pk}"') > 0
    assert len(client_for(None).get(f"/api/v1/forum/questions/{q.pk}/").json()["answers"]) == 55


def test_similar_answers_show_before_a_question_goes_out(world: World) -> None:
    solved = question(world, reporter=world.op_b, title="Gagal impor data penduduk dari Excel, kolom tanggal lahir")
    helped = answer(solved, world.vol_bima, "Ubah format kolom tanggal lahir menjadi teks.")
    client_for(world.op_b).post(f"/api/v1/tickets/{solved.pk}/accept/", {"message": helped.pk}, format="json")
    asker = Client()
    asker.force_login(world.op_a)
    form = {"title": "Impor data penduduk gagal di kolom tanggal lahir", "description": "File Excel dari Disdukcapil",
            "category": "kependudukan", "hosting": "lainnya", "kirim": "1"}
    first = asker.post("/forum/tanya/", form)
    page = first.content.decode()
    assert first.status_code == 200 and "Mungkin sudah terjawab" in page
    assert f"/forum/pertanyaan/{solved.number}/" in page and 'name="saran_dilihat"' in page
    assert Ticket.objects.count() == 1  # not sent yet
    sent = asker.post("/forum/tanya/", {**form, "saran_dilihat": "1"})
    assert sent.status_code == 302 and Ticket.objects.count() == 2
