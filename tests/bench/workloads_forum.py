"""Forum workloads at 100k public questions: the forum home (latest, unanswered, solved; page and API) and a
question with 200 answers (page and API), each with its query count; votes through the API.

Targets (2 cores): home p95 ≤ 50 ms and a question with 200 answers p95 ≤ 150 ms, with a fixed number of
queries. The questions are removed at the end, so the ticket workloads measure their own corpus.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk.accounts.models import User
from helpdesk.community import reputation
from helpdesk.community.models import PostScore, ReputationEvent, ReputationKind, Vote
from helpdesk.tickets import services
from helpdesk.tickets.models import Message, Status, Ticket
from tests.bench.workloads_tickets import TITLES, World

PREFIX = "FRM-"
BENCH_TITLE = "Cetak surat error 500 setelah update (bench forum)"
STATUSES = [Status.BARU] * 3 + [Status.DITANGANI] + [Status.MENUNGGU] + [Status.SELESAI] * 3 + [Status.DITUTUP] * 2
LIMITS = {"ticket_create": (10**9, 3600), "message_create": (10**9, 3600), "attachment_create": (10**9, 3600),
          "forum_flag": (10**9, 3600), "forum_vote": (10**9, 3600), "forum_comment": (10**9, 3600),
          "forum_new_account_post": (10**9, 86400)}


def fill(world: World, total: int, ctx: Any) -> None:
    """`total` public questions by bulk_create; the solved ones get an accepted answer, others 0-4 replies."""
    have = Ticket.objects.filter(number__startswith=PREFIX).count()
    rng = random.Random(7)
    now = timezone.now()
    batch: list[Ticket] = []
    for n in range(have, total):
        desa = rng.choice(world.desas)
        forum = world.forum_of[desa[:5]]
        status = rng.choice(STATUSES)
        created = now - timedelta(minutes=2 * (total - n))
        replies = 0 if status == Status.BARU and rng.random() < 0.6 else rng.randint(1, 4)
        batch.append(Ticket(
            number=f"{PREFIX}{n:07d}", title=rng.choice(TITLES), description="Mohon bantuannya.",
            category_id=rng.choice(world.categories), status=status, desa_id=desa, reporter=world.operators[desa],
            forum=forum, visibility="public", reply_count=replies, created_at=created, updated_at=created,
        ))
        if len(batch) >= 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
            ctx.log(f"   {n + 1}/{total} questions")
    if batch:
        Ticket.objects.bulk_create(batch)
    solved = Ticket.objects.filter(number__startswith=PREFIX, status__in=[Status.SELESAI, Status.DITUTUP],
                                   accepted_message__isnull=True)
    helper = world.volunteers[next(iter(world.volunteers))]
    rows = list(solved.values_list("pk", "created_at"))
    for start in range(0, len(rows), 5000):
        Message.objects.bulk_create([
            Message(ticket_id=pk, author=helper, body="Ubah kolom menjadi teks lalu impor ulang.",
                    body_html="<p>Ubah kolom menjadi teks lalu impor ulang.</p>", created_at=at + timedelta(minutes=1))
            for pk, at in rows[start:start + 5000]
        ])
    table, messages = Ticket._meta.db_table, Message._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET accepted_message_id = (SELECT MIN(m.id) FROM {messages} m "
            f"WHERE m.ticket_id = {table}.id) WHERE number LIKE %s AND status IN (%s, %s) "
            "AND accepted_message_id IS NULL",
            [f"{PREFIX}%", Status.SELESAI, Status.DITUTUP],
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {table}")
            cursor.execute(f"ANALYZE {messages}")


def question_with_answers(world: World, n: int) -> Ticket:
    """A question from the bench operators, answered `n` times through the services, with votes and an accepted
    answer: the page renders scores, the viewer's votes, comments and attachments for each."""
    desa = world.desas[0]
    asker = world.operators[desa]
    helpers = list(User.objects.filter(username__startswith="op-").exclude(pk=asker.pk).order_by("pk")[:n])
    for h in helpers[:20]:
        reputation.award(user=h, kind=ReputationKind.KB_PUBLISHED, key=f"bench-forum:{h.pk}", points=50)
    with override_settings(RATE_LIMITS=LIMITS):
        ticket = services.ticket_create(reporter=asker, title=BENCH_TITLE,
                                        description="Muncul `Error 500` saat cetak surat keterangan usaha.",
                                        category="surat-tte", visibility="public")
        answers = [services.message_create(ticket=Ticket.objects.get(pk=ticket.pk), author=helpers[i % len(helpers)],
                                           body=f"Jawaban ke-{i}: hapus cache lalu cetak ulang. Langkah **{i}**.")
                   for i in range(n)]
        from helpdesk.community import services as forum_services

        for i, voter in enumerate(helpers[:20]):
            for a in answers[i::7][:10]:
                if a.author_id != voter.pk:
                    forum_services.vote_cast(voter=User.objects.get(pk=voter.pk), message=a, value=1)
        forum_services.answer_accept(actor=User.objects.get(pk=asker.pk), ticket=Ticket.objects.get(pk=ticket.pk),
                                     message_id=answers[-1].pk)
    return Ticket.objects.get(pk=ticket.pk)


def cleanup() -> None:
    """Remove the bench's questions (raw deletes: the ORM's cascade collector is slow at 100k)."""
    from helpdesk.community import models as forum_models
    from helpdesk.tickets.models import TicketEvent
    from search import get_backend

    like = [f"{PREFIX}%"]
    ids = f"SELECT id FROM {Ticket._meta.db_table} WHERE number LIKE %s"
    message_ids = f"SELECT id FROM {Message._meta.db_table} WHERE ticket_id IN ({ids})"
    with transaction.atomic(), connection.cursor() as cursor:
        rep = forum_models.ReputationEvent._meta.db_table
        cursor.execute(f"DELETE FROM {rep} WHERE ticket_id IN ({ids}) OR message_id IN ({message_ids})", like * 2)
        for model in (Vote, PostScore):
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE message_id IN ({message_ids})", like)
        for model in (forum_models.Comment, forum_models.Flag, forum_models.ModerationAction, forum_models.Revision,
                      forum_models.PublicProposal):
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE ticket_id IN ({ids})", like)
        cursor.execute(f"UPDATE {Ticket._meta.db_table} SET accepted_message_id = NULL WHERE id IN ({ids})", like)
        for model in (Message, TicketEvent):
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE ticket_id IN ({ids})", like)
        cursor.execute(f"DELETE FROM {Ticket._meta.db_table} WHERE number LIKE %s", like)
    made = list(Ticket.objects.filter(title=BENCH_TITLE).values_list("pk", flat=True))
    Ticket.objects.filter(pk__in=made).delete()  # one question with 200 answers: the ORM's cascade is fine
    if made:
        get_backend().delete("question", [str(i) for i in made])
    ReputationEvent.objects.filter(key__startswith="bench-forum:").delete()
    reputation.rebuild()


def bench_forum(ctx: Any) -> list[dict[str, Any]]:
    world = World()
    results: list[dict[str, Any]] = []
    size = 2_000 if ctx.quick else 100_000
    label = f"{size // 1000}k"
    try:
        fill(world, size, ctx)
        anonymous = Client()
        api = APIClient()
        for name, url in (("home.latest", "/forum/"), ("home.unanswered", "/forum/?tampil=belum-dijawab"),
                          ("home.solved", "/forum/?tampil=terjawab"), ("home.category", "/forum/?kategori=surat-tte")):
            samples = ctx.timed(lambda url=url: anonymous.get(url), repeat=ctx.repeat(300), warmup=5)
            results.append({"name": f"forum.{name}.{label}", "samples_ms": samples, "baseline": "plain_view",
                             "queries": ctx.count_queries(lambda url=url: anonymous.get(url)),
                             "target": "p95 <= 50 ms, fixed queries"})
        deep = Ticket.objects.filter(number__startswith=PREFIX).order_by("pk").values_list("pk", flat=True)[size // 2]
        from helpdesk.tickets.selectors import encode_cursor

        for name, url in (("api.latest", "/api/v1/forum/questions/?limit=25"),
                          ("api.unanswered", "/api/v1/forum/questions/?filter=unanswered&limit=25"),
                          ("api.solved", "/api/v1/forum/questions/?filter=solved&limit=25"),
                          ("api.deep_cursor", f"/api/v1/forum/questions/?limit=25&cursor={encode_cursor(deep)}")):
            samples = ctx.timed(lambda url=url: api.get(url), repeat=ctx.repeat(300), warmup=5)
            results.append({"name": f"forum.{name}.{label}", "samples_ms": samples, "baseline": "plain_view",
                            "queries": ctx.count_queries(lambda url=url: api.get(url))})

        ticket = question_with_answers(world, 200)
        page = f"/forum/pertanyaan/{ticket.number}/"
        member = Client()
        member.force_login(world.volunteers[ticket.forum_id])
        for name, client, url in (("question_200_answers.page.anonymous", anonymous, page),
                                  ("question_200_answers.page.volunteer", member, page),
                                  ("question_200_answers.api", api, f"/api/v1/forum/questions/{ticket.pk}/")):
            samples = ctx.timed(lambda c=client, u=url: c.get(u), repeat=ctx.repeat(200), warmup=3)
            size_kb = round(len(client.get(url).content) / 1024, 1)
            results.append({"name": f"forum.{name}.{label}", "samples_ms": samples, "baseline": "plain_view",
                            "queries": ctx.count_queries(lambda c=client, u=url: c.get(u)),
                            "extra": {"response_kb": size_kb}, "target": "p95 <= 150 ms, fixed queries"})

        # Votes through the API: lock, recount, ledger.
        voters = list(User.objects.filter(username__startswith="op-").order_by("-pk")[:300])
        for v in voters:
            reputation.award(user=v, kind=ReputationKind.KB_PUBLISHED, key=f"bench-forum:{v.pk}", points=50)
        target = Message.objects.filter(ticket=ticket).order_by("pk").first()
        assert target is not None
        queue = iter(voters)

        def vote() -> None:
            c = APIClient()
            c.force_authenticate(next(queue))
            c.post(f"/api/v1/messages/{target.pk}/vote/", {"value": 1}, format="json")

        with override_settings(RATE_LIMITS=LIMITS):
            samples = ctx.timed(vote, repeat=min(ctx.repeat(250), 250), warmup=3)
        results.append({"name": "forum.vote_api", "samples_ms": samples, "baseline": "plain_view"})
    finally:
        cleanup()
    return results
