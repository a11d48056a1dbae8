"""Ticket workloads: creation through the API, the list at 100k and 1M tickets, detail with 50 messages.

Targets (2 cores): list p95 ≤ 50 ms at 100k and ≤ 100 ms at 1M with ≤ 8 queries a page; creation ≥ 200/s.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk.accounts.models import Forum, ForumMembership, ForumRegion, User
from helpdesk.categories.models import Category
from helpdesk.categories.services import ensure_default_categories
from helpdesk.regions.models import Region
from helpdesk.regions.services import import_regions
from helpdesk.tickets import services
from helpdesk.tickets.models import Message, Status, Ticket

STATUSES = [Status.BARU] * 2 + [Status.DITANGANI] * 2 + [Status.MENUNGGU] + [Status.SELESAI] * 3 + [Status.DITUTUP] * 4
TITLES = [
    "Gagal impor data penduduk dari Excel", "Tidak bisa login Layanan Mandiri", "Surat keterangan tidak bisa dicetak",
    "TTE BSrE gagal", "Migrasi database error setelah update", "Sinkronisasi OpenDK gagal",
    "Backup database tidak lengkap", "Peta wilayah tidak tampil", "Anjungan mandiri blank", "Siskeudes tidak terbaca",
]


class World:
    """NTB regions, one forum per kabupaten under a provincial forum, an operator per desa, volunteers."""

    def __init__(self) -> None:
        ensure_default_categories()
        if not Region.objects.filter(code="52").exists():
            import_regions(["52"])
        self.desas = list(Region.objects.filter(level=4, code__startswith="52.").values_list("code", flat=True))
        core, _ = Forum.objects.get_or_create(slug="bench-core", defaults={"name": "Bench Inti"})
        self.ntb, _ = Forum.objects.get_or_create(slug="bench-ntb", defaults={"name": "Bench NTB", "parent": core})
        ForumRegion.objects.get_or_create(region_id="52", defaults={"forum": self.ntb})
        self.forum_of: dict[str, Forum] = {}
        for kab in Region.objects.filter(level=2, code__startswith="52."):
            forum, _ = Forum.objects.get_or_create(slug=f"bench-{kab.code}", defaults={"name": f"Bench {kab.name}", "parent": self.ntb})
            ForumRegion.objects.get_or_create(region=kab, defaults={"forum": forum})
            self.forum_of[kab.code] = forum
        existing = set(User.objects.filter(username__startswith="op-").values_list("username", flat=True))
        User.objects.bulk_create(
            [User(username=f"op-{code}", desa_id=code, operator_status=User.OperatorStatus.VERIFIED, name=f"Operator {code}")
             for code in self.desas if f"op-{code}" not in existing],
            batch_size=1000,
        )
        self.operators = {u.desa_id: u for u in User.objects.filter(username__startswith="op-")}
        self.volunteers: dict[int, User] = {}
        for kab, forum in self.forum_of.items():
            user, _ = User.objects.get_or_create(username=f"vol-{kab}", defaults={"name": f"Relawan {kab}"})
            ForumMembership.objects.get_or_create(forum=forum, user=user)
            self.volunteers[forum.pk] = user
        self.categories = list(Category.objects.values_list("pk", flat=True))

    def fill(self, total: int, ctx: Any) -> None:
        have = Ticket.objects.count()
        rng = random.Random(42)
        now = timezone.now()
        batch: list[Ticket] = []
        for n in range(have, total):
            desa = rng.choice(self.desas)
            forum = self.forum_of[desa[:5]]
            status = rng.choice(STATUSES)
            created = now - timedelta(minutes=total - n)
            batch.append(Ticket(
                number=f"BEN-{n:07d}", title=rng.choice(TITLES), description="", category_id=rng.choice(self.categories),
                status=status, desa_id=desa, reporter=self.operators[desa], forum=forum,
                assignee=self.volunteers[forum.pk] if status != Status.BARU else None,
                visibility="public" if n % 10 == 0 else "private", created_at=created, updated_at=created,
            ))
            if len(batch) >= 5000:
                Ticket.objects.bulk_create(batch)
                batch = []
                ctx.log(f"   {n + 1}/{total} tickets")
        if batch:
            Ticket.objects.bulk_create(batch)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE tickets_ticket")


def _list_samples(ctx: Any, client: APIClient, url: str, repeat: int) -> list[float]:
    return ctx.timed(lambda: client.get(url), repeat=repeat, warmup=5)


def bench_tickets(ctx: Any) -> list[dict[str, Any]]:
    world = World()
    results: list[dict[str, Any]] = []

    # Creation through the API, end to end (routing, SLA, numbering, audit).
    operator = world.operators[world.desas[0]]
    client = APIClient()
    client.force_authenticate(operator)
    body = {"title": "Tidak bisa cetak surat keterangan", "description": "Muncul galat 500.", "category": "surat-tte"}
    from django.test import override_settings

    with override_settings(RATE_LIMITS={"ticket_create": (10**9, 3600), "message_create": (10**9, 3600),
                                        "attachment_create": (10**9, 3600)}):
        create = ctx.timed(lambda: client.post("/api/v1/tickets/", body, format="json"), repeat=ctx.repeat(500), warmup=10)
        queries = ctx.count_queries(lambda: client.post("/api/v1/tickets/", body, format="json"))
    results.append({"name": "tickets.create_api", "samples_ms": create, "baseline": "plain_view", "queries": queries,
                    "extra": {"per_second_single_client": round(1000 / sorted(create)[len(create) // 2], 1)},
                    "target": ">= 200/s"})

    # Detail with 50 messages, as a volunteer of the forum.
    ticket = Ticket.objects.filter(reporter=operator).order_by("-pk").first()
    assert ticket is not None
    volunteer = world.volunteers[ticket.forum_id]
    for i in range(50 - ticket.messages.count()):
        services.message_create(ticket=ticket, author=volunteer if i % 2 else operator, body=f"Balasan ke-{i}: coba langkah ini.")
    vclient = APIClient()
    vclient.force_authenticate(User.objects.get(pk=volunteer.pk))
    detail = ctx.timed(lambda: vclient.get(f"/api/v1/tickets/{ticket.pk}/"), repeat=ctx.repeat(300), warmup=5)
    results.append({"name": "tickets.detail_50_messages", "samples_ms": detail, "baseline": "plain_view",
                    "queries": ctx.count_queries(lambda: vclient.get(f"/api/v1/tickets/{ticket.pk}/"))})

    # The list at scale.
    sizes = [2_000] if ctx.quick else ([100_000, 1_000_000] if ctx.db == "postgres" else [100_000])
    for size in sizes:
        world.fill(size, ctx)
        label = f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}M"
        for who, user in (("volunteer", volunteer), ("operator", operator)):
            c = APIClient()
            c.force_authenticate(User.objects.get(pk=user.pk))
            first = c.get("/api/v1/tickets/?limit=25").json()
            samples = _list_samples(ctx, c, "/api/v1/tickets/?limit=25", ctx.repeat(300))
            results.append({"name": f"tickets.list_first_page.{who}.{label}", "samples_ms": samples, "baseline": "plain_view",
                            "queries": ctx.count_queries(lambda c=c: c.get("/api/v1/tickets/?limit=25")),
                            "target": "p95 <= 50 ms at 100k, <= 100 ms at 1M, <= 8 queries"})
            # A deep page: follow the cursor from far down the volunteer's list.
            deep_id = Ticket.objects.filter(forum_id=ticket.forum_id).order_by("pk").values_list("pk", flat=True)[10]
            from helpdesk.tickets.selectors import encode_cursor

            url = f"/api/v1/tickets/?limit=25&cursor={encode_cursor(deep_id)}"
            if who == "operator":
                deep_id = Ticket.objects.filter(desa_id=operator.desa_id).order_by("pk").values_list("pk", flat=True).first() or deep_id
                url = f"/api/v1/tickets/?limit=25&cursor={encode_cursor(deep_id + 1)}"
            samples = _list_samples(ctx, c, url, ctx.repeat(200))
            results.append({"name": f"tickets.list_deep_cursor.{who}.{label}", "samples_ms": samples, "baseline": "plain_view",
                            "queries": ctx.count_queries(lambda c=c, url=url: c.get(url)), "extra": {"first_page_rows": len(first["results"])}})
    Message.objects.filter(ticket=ticket).delete()
    return results
