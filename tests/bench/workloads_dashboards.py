"""Dashboard workloads: the statistics API, the adoption API, open data and the page over N tickets, each
against a plain `COUNT(*)` over the same rows (the province's tickets of the last twelve months).

Target (issue 17): a dashboard over 1M tickets loads in under 1 s on PostgreSQL. Sizes follow `--scale`
(default 10k and 100k); `--scale 100000,1000000 --db postgres` gives the 1M figure.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk.accounts.models import ForumMembership, User
from helpdesk.dashboards.demo import seed_adoption
from helpdesk.dashboards.params import default_range
from helpdesk.tickets.models import Status, Ticket
from tests.bench.workloads_tickets import World

PREFIX = "DSH-"


def fill(world: World, total: int, ctx: Any) -> None:
    """Tickets over the last year with first responses, solutions and SLA deadlines, up to `total` in all."""
    have = Ticket.objects.count()
    rng = random.Random(17)
    now = timezone.now()
    batch: list[Ticket] = []
    for n in range(have, total):
        desa = rng.choice(world.desas)
        forum = world.forum_of[desa[:5]]
        created = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        first = created + timedelta(minutes=rng.lognormvariate(5.0, 1.1)) if rng.random() < 0.9 else None
        resolved = first + timedelta(minutes=rng.lognormvariate(7.3, 1.0)) if first and rng.random() < 0.75 else None
        if resolved and resolved > now:
            resolved = None
        status = Status.SELESAI if resolved else (Status.DITANGANI if first else Status.BARU)
        batch.append(Ticket(
            number=f"{PREFIX}{n:07d}", title="Tiket bench", category_id=rng.choice(world.categories), status=status,
            desa_id=desa, reporter=world.operators[desa], forum=forum,
            assignee=world.volunteers[forum.pk] if first else None, created_at=created, updated_at=created,
            first_response_at=first, first_response_due=created + timedelta(hours=8), resolved_at=resolved,
            resolution_due=created + timedelta(days=3),
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


def bench_dashboards(ctx: Any) -> list[dict[str, Any]]:
    world = World()
    seed_adoption()
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True, "is_staff": True})
    coordinator, _ = User.objects.get_or_create(username="bench-coord")
    ForumMembership.objects.get_or_create(forum=world.forum_of["52.03"], user=coordinator,
                                          defaults={"role": "coordinator"})
    start, end = default_range()
    results: list[dict[str, Any]] = []
    sizes = [2_000] if ctx.quick else ctx.scale
    repeat = ctx.repeat(30)
    for size in sizes:
        fill(world, size, ctx)
        label = f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}M"
        since, until = timezone.now() - timedelta(days=400), timezone.now() + timedelta(days=1)
        rows = Ticket.objects.filter(desa__code__startswith="52.", created_at__gte=since, created_at__lt=until)
        baseline = ctx.timed(lambda rows=rows: rows.count(), repeat=repeat, warmup=2)
        results.append({"name": f"dashboards.baseline_count.{label}", "samples_ms": baseline})
        admin_client, coord_client = APIClient(), APIClient()
        admin_client.force_authenticate(User.objects.get(pk=admin.pk))
        coord_client.force_authenticate(User.objects.get(pk=coordinator.pk))
        period = f"from={start}&to={end}"
        cases = [
            ("stats_api.province", admin_client, f"/api/v1/stats/?region=52&{period}"),
            ("stats_api.kabupaten_coordinator", coord_client, f"/api/v1/stats/?region=52.03&{period}"),
            ("adoption_api.province", admin_client, "/api/v1/stats/adoption/?region=52"),
            ("open_stats.by_region", APIClient(), f"/api/v1/open/stats/?region=52&by=region&{period}"),
        ]
        for name, client, url in cases:
            assert client.get(url).status_code == 200, url
            samples = ctx.timed(lambda client=client, url=url: client.get(url), repeat=repeat, warmup=2)
            results.append({"name": f"dashboards.{name}.{label}", "samples_ms": samples, "baseline_samples_ms": baseline,
                            "baseline": "count_same_rows",
                            "queries": ctx.count_queries(lambda client=client, url=url: client.get(url)),
                            "target": "< 1000 ms at 1M on PostgreSQL"})
        page = Client()
        page.force_login(User.objects.get(pk=admin.pk))
        url = f"/dasbor/52/?{period}"
        assert page.get(url).status_code == 200
        samples = ctx.timed(lambda page=page, url=url: page.get(url), repeat=repeat, warmup=2)
        results.append({"name": f"dashboards.page.province.{label}", "samples_ms": samples,
                        "baseline_samples_ms": baseline, "baseline": "count_same_rows",
                        "queries": ctx.count_queries(lambda page=page, url=url: page.get(url))})
    return results
