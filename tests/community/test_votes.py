"""Votes through the API: one per person per answer, changeable, never on one's own post, gated by level, and
counted exactly when many people vote at once (PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.community import services
from helpdesk.community.models import PostScore, ReputationEvent, Vote
from helpdesk.core.errors import DomainError
from helpdesk.tickets.models import Message, Ticket
from tests.community.conftest import DESA_B, World, answer, client_for, fresh, give_points, question
from tests.concurrency import run_together
from tests.factories import OperatorFactory


def _score(message: Message) -> tuple[int, int, int]:
    row = PostScore.objects.filter(message=message).first()
    return (row.score, row.upvotes, row.downvotes) if row else (0, 0, 0)


@pytest.fixture
def answered(world: World) -> tuple[Ticket, Message]:
    q = question(world)
    return q, answer(q, world.op_b)


def test_upvote_counts_and_credits_the_author(world: World, answered: tuple[Ticket, Message]) -> None:
    _q, a = answered
    response = client_for(world.vol_bima).post(f"/api/v1/messages/{a.pk}/vote/", {"value": 1}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"message": a.pk, "score": 1, "upvotes": 1, "downvotes": 0, "my_vote": 1}
    assert _score(a) == (1, 1, 0)
    assert ReputationEvent.objects.get(user=world.op_b).points == 5


def test_voting_on_your_own_post_is_403_and_changes_nothing(world: World, answered: tuple[Ticket, Message]) -> None:
    _q, a = answered
    give_points(world.op_b, 50)
    response = client_for(world.op_b).post(f"/api/v1/messages/{a.pk}/vote/", {"value": 1}, format="json")
    assert response.status_code == 403
    assert "sendiri" in response.json()["detail"]
    assert _score(a) == (0, 0, 0) and not Vote.objects.exists()


def test_voting_twice_is_409_and_the_count_stays(world: World, answered: tuple[Ticket, Message]) -> None:
    _q, a = answered
    client = client_for(world.vol_lotim)
    assert client.post(f"/api/v1/messages/{a.pk}/vote/", {"value": 1}, format="json").status_code == 200
    again = client.post(f"/api/v1/messages/{a.pk}/vote/", {"value": 1}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_voted"
    assert _score(a) == (1, 1, 0) and Vote.objects.count() == 1
    assert ReputationEvent.objects.filter(user=world.op_b).count() == 1


def test_a_vote_can_be_changed_and_withdrawn_and_a_downvote_needs_a_reason(
    world: World, answered: tuple[Ticket, Message]
) -> None:
    _q, a = answered
    client = client_for(world.vol_lotim)
    client.post(f"/api/v1/messages/{a.pk}/vote/", {"value": 1}, format="json")
    no_reason = client.post(f"/api/v1/messages/{a.pk}/vote/", {"value": -1}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["fields"]
    assert _score(a) == (1, 1, 0)
    down = client.post(f"/api/v1/messages/{a.pk}/vote/", {"value": -1, "reason": "Langkahnya tidak lengkap"},
                       format="json")
    assert down.status_code == 200 and down.json()["score"] == -1
    assert _score(a) == (-1, 0, 1)
    assert not ReputationEvent.objects.filter(user=world.op_b).exists()  # the upvote's points went with it
    assert Vote.objects.get().reason == "Langkahnya tidak lengkap"
    withdrawn = client.delete(f"/api/v1/messages/{a.pk}/vote/")
    assert withdrawn.status_code == 200 and withdrawn.json()["score"] == 0
    assert client.delete(f"/api/v1/messages/{a.pk}/vote/").status_code == 409


def test_bad_values_are_400(world: World, answered: tuple[Ticket, Message]) -> None:
    _q, a = answered
    for value in (0, 2, "naik", None):
        response = client_for(world.vol_lotim).post(f"/api/v1/messages/{a.pk}/vote/", {"value": value}, format="json")
        assert response.status_code == 400
    assert not Vote.objects.exists()


def test_voting_needs_the_level_volunteers_have_it(world: World, answered: tuple[Ticket, Message]) -> None:
    _q, a = answered
    newcomer = OperatorFactory(username="baru", desa_code=DESA_B)
    refused = client_for(newcomer).post(f"/api/v1/messages/{a.pk}/vote/", {"value": 1}, format="json")
    assert refused.status_code == 403 and "10 poin" in refused.json()["detail"]
    give_points(newcomer, 10)
    assert client_for(newcomer).post(f"/api/v1/messages/{a.pk}/vote/", {"value": 1}, format="json").status_code == 200
    assert client_for(world.vol_bima).post(f"/api/v1/messages/{a.pk}/vote/", {"value": 1}, format="json").status_code == 200
    assert _score(a) == (2, 2, 0)


def test_anonymous_is_401_and_private_or_internal_messages_are_404(world: World) -> None:
    private = world.ticket()
    reply = answer(private, world.vol_lotim)
    note = Message.objects.create(ticket=private, kind="internal", author=world.vol_lotim, body="catatan")
    q = question(world)
    a = answer(q, world.op_b)
    assert client_for(None).post(f"/api/v1/messages/{a.pk}/vote/", {"value": 1}, format="json").status_code == 401
    assert client_for(world.op_bima).post(f"/api/v1/messages/{reply.pk}/vote/", {"value": 1}, format="json").status_code == 404
    assert client_for(world.vol_lotim).post(f"/api/v1/messages/{note.pk}/vote/", {"value": 1}, format="json").status_code == 404
    # On a private ticket even its own people cannot vote: votes are a forum thing.
    assert client_for(world.op_a).post(f"/api/v1/messages/{reply.pk}/vote/", {"value": 1}, format="json").status_code == 403


def test_locked_questions_take_no_votes(world: World, answered: tuple[Ticket, Message]) -> None:
    q, a = answered
    services.question_lock(actor=fresh(world.coord_lotim), ticket=Ticket.objects.get(pk=q.pk), locked=True)
    response = client_for(world.vol_lotim).post(f"/api/v1/messages/{a.pk}/vote/", {"value": 1}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "locked"


def test_answers_are_ordered_accepted_first_then_score_then_time(world: World) -> None:
    q = question(world)
    first = answer(q, world.op_b, "Jawaban pertama")
    second = answer(q, world.op_bima, "Jawaban kedua")
    third = answer(q, world.vol_bima, "Jawaban ketiga")
    client_for(world.vol_lotim).post(f"/api/v1/messages/{third.pk}/vote/", {"value": 1}, format="json")
    order = [a["id"] for a in client_for(None).get(f"/api/v1/forum/questions/{q.pk}/").json()["answers"]]
    assert order == [third.pk, first.pk, second.pk]
    client_for(world.op_a).post(f"/api/v1/tickets/{q.pk}/accept/", {"message": second.pk}, format="json")
    body = client_for(None).get(f"/api/v1/forum/questions/{q.pk}/").json()
    assert [a["id"] for a in body["answers"]] == [second.pk, third.pk, first.pk]
    assert body["answers"][0]["accepted"] is True


# --- concurrency ---------------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_thirty_simultaneous_votes_are_counted_exactly(world: World) -> None:
    q = question(world)
    a = answer(q, world.op_b)
    voters = [OperatorFactory(username=f"pemilih{i}", desa_code=DESA_B) for i in range(30)]
    for v in voters:
        give_points(v, 10)
    values = [1 if i % 3 else -1 for i in range(30)]  # 20 up, 10 down

    def vote(user: Any, value: int) -> Any:
        return lambda: services.vote_cast(voter=fresh(user), message=Message.objects.get(pk=a.pk), value=value,
                                          reason="" if value == 1 else "kurang tepat")

    results = run_together([vote(u, v) for u, v in zip(voters, values, strict=True)])
    assert all(isinstance(r, services.Score) for r in results), results
    assert _score(a) == (10, 20, 10)
    assert Vote.objects.filter(message=a).count() == 30
    assert sum(ReputationEvent.objects.filter(user=world.op_b).values_list("points", flat=True)) == 20 * 5
    from helpdesk.community.models import Reputation

    assert Reputation.objects.get(user=world.op_b).points == 100


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_person_voting_from_ten_tabs_at_once_counts_once(world: World) -> None:
    q = question(world)
    a = answer(q, world.op_b)
    results = run_together([
        lambda: services.vote_cast(voter=fresh(world.vol_lotim), message=Message.objects.get(pk=a.pk), value=1)
        for _ in range(10)
    ])
    assert sum(isinstance(r, services.Score) for r in results) == 1
    assert all(isinstance(r, DomainError) for r in results if not isinstance(r, services.Score))
    assert _score(a) == (1, 1, 0) and Vote.objects.count() == 1
    assert ReputationEvent.objects.filter(user=world.op_b).count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_votes_on_sqlite_are_counted_exactly_too(world: World) -> None:
    q = question(world)
    a = answer(q, world.op_b)
    voters = [OperatorFactory(username=f"lite{i}", desa_code=DESA_B) for i in range(6)]
    for v in voters:
        give_points(v, 10)
    results = run_together([
        (lambda u=u: services.vote_cast(voter=fresh(u), message=Message.objects.get(pk=a.pk), value=1)) for u in voters
    ])
    assert all(isinstance(r, services.Score) for r in results), results
    assert _score(a) == (6, 6, 0)
