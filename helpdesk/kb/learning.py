"""Search that learns from use: the coordinators' page of searches without an answer, what they do about them
(a synonym, a new entry, a judged answer), and the weekly digest.

A *group* is every logged search with the same analysed terms (`searchlog.group_key`): "gmn cetak kk" and
"cetak KK gimana" are one group. A group is unanswered in a period when none of its searches found anything,
or when nobody opened what they found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpdesk.accounts.access import AnyUser
from helpdesk.accounts.models import ForumMembership, User
from helpdesk.core.scheduler import periodic
from helpdesk.notifications.models import Notification
from helpdesk.notifications.services import notify
from search.models import Synonym
from search.synonyms import invalidate_synonyms

from . import access, selectors
from .models import Entry, EntryStatus, SearchJudgement, SearchLog

PERIODS = (7, 30, 90, 180)
GROUP_LIMIT = 100
RECHECK_LIMIT = 10
DIGEST_GROUPS = 10


@dataclass(frozen=True)
class QueryGroup:
    key: str
    count: int
    found_nothing: int
    last_seen: datetime
    example: str
    judged: tuple[int, ...] = ()


def unanswered_groups(*, days: int = 30, limit: int = GROUP_LIMIT) -> list[QueryGroup]:
    """Groups of the last `days` whose searches found nothing or whose results nobody opened, most asked first
    (two queries, whatever the number of groups)."""
    since = timezone.now() - timedelta(days=days)
    rows = list(
        SearchLog.objects.filter(created_at__gte=since).exclude(group_key="")
        .values("group_key")
        .annotate(n=Count("pk"), opened=Count("pk", filter=Q(opened_at__isnull=False)),
                  empty=Count("pk", filter=Q(results=0)),
                  shown=Count("pk", filter=Q(results__gt=0, channel=SearchLog.Channel.WEB)),
                  last=Max("created_at"), example=Max("query"))
        # Only the search page knows what was opened: an API or Telegram search that found something is no
        # evidence either way, so a group counts as unanswered when something found nothing, or when results
        # shown on the page were never opened.
        .filter(opened=0).filter(Q(empty__gt=0) | Q(shown__gt=0))
        .order_by("-n", "-last")[:limit]
    )
    judged: dict[str, list[int]] = {}
    for key, entry_id in SearchJudgement.objects.filter(group_key__in=[r["group_key"] for r in rows]) \
            .values_list("group_key", "entry_id"):
        judged.setdefault(key, []).append(entry_id)
    return [QueryGroup(r["group_key"], r["n"], r["empty"], r["last"], r["example"],
                       tuple(judged.get(r["group_key"], ()))) for r in rows]


@dataclass(frozen=True)
class Recheck:
    query: str
    total: int
    hits: list[selectors.Hit]


def recheck(key: str, *, days: int = 180) -> list[Recheck]:
    """The group's distinct past queries searched again now: which does the knowledge base answer today?"""
    since = timezone.now() - timedelta(days=days)
    queries = list(
        SearchLog.objects.filter(group_key=key, created_at__gte=since).values_list("query", flat=True)
        .order_by("query").distinct()[:RECHECK_LIMIT]
    )
    out = []
    for query in queries:
        results = selectors.search_entries(query, limit=5)
        out.append(Recheck(query, results.total, results.hits))
    return out


def synonym_add(*, actor: AnyUser, rule: str, note: str = "") -> Synonym:
    """A synonym or abbreviation rule, validated as the admin validates it; applies to queries at once."""
    if not access.is_reviewer(actor):
        raise ValidationError(_("Hanya koordinator dan admin yang dapat menambah sinonim."))
    synonym = Synonym(rule=rule.strip(), note=(note or _("dari halaman pencarian tanpa hasil"))[:200])
    synonym.full_clean()
    with transaction.atomic():
        synonym.save()
        transaction.on_commit(invalidate_synonyms)
    invalidate_synonyms()
    return synonym


def judge(*, actor: AnyUser, key: str, query: str, entry_id: int) -> SearchJudgement:
    """Mark a published entry as the right answer for a group's queries (the evaluation set grows from it)."""
    if not access.is_reviewer(actor):
        raise ValidationError(_("Hanya koordinator dan admin yang dapat menilai jawaban."))
    entry = Entry.objects.filter(pk=entry_id, status=EntryStatus.PUBLISHED).first()
    if entry is None:
        raise ValidationError({"entri": [_("Entri itu tidak ada atau belum terbit.")]})
    if not key or not SearchLog.objects.filter(group_key=key).exists():
        raise ValidationError({"kelompok": [_("Kelompok pencarian itu tidak dikenal.")]})
    judgement, _created = SearchJudgement.objects.update_or_create(
        group_key=key, entry=entry,
        defaults={"query": query[:300] or key, "judged_by": actor if isinstance(actor, User) else None,
                  "judged_at": timezone.now()},
    )
    return judgement


def judged_queries() -> list[dict[str, object]]:
    """Every judged group as one evaluation query: its example text and the right entries' ids."""
    rows: dict[str, dict[str, object]] = {}
    for j in SearchJudgement.objects.select_related("entry").order_by("group_key", "pk"):
        row = rows.setdefault(j.group_key, {"query": j.query, "relevant": [], "judged_at": j.judged_at.isoformat()})
        relevant = row["relevant"]
        assert isinstance(relevant, list)
        relevant.append(j.entry.external_id or f"kb-{j.entry_id}")
    return list(rows.values())


# --- the weekly digest -----------------------------------------------------------------------------------------


def _week(today: date) -> str:
    year, week, _day = today.isocalendar()
    return f"{year}-W{week:02d}"


def _times(n: int) -> str:
    return ngettext("%(n)d kali", "%(n)d kali", n) % {"n": n}


def send_digest(*, now: datetime | None = None) -> int:
    """To every coordinator, once per ISO week (idempotent: a second run that week sends nothing): the most
    asked searches of the last seven days that found no answer."""
    now = now or timezone.now()
    groups = unanswered_groups(days=7, limit=DIGEST_GROUPS)
    if not groups:
        return 0
    key = f"kb-search-digest:{_week(timezone.localdate(now))}"
    coordinators = User.objects.filter(
        is_active=True, memberships__role=ForumMembership.Role.COORDINATOR, memberships__is_active=True,
    ).distinct()
    already = set(Notification.objects.filter(type="kb_search_digest", group_key=key).values_list("user_id", flat=True))
    top = "; ".join(f"“{g.example}” ({_times(g.count)})" for g in groups[:5])
    text = ngettext("%(n)d kelompok pencarian minggu ini tanpa jawaban. Terbanyak: %(top)s",
                    "%(n)d kelompok pencarian minggu ini tanpa jawaban. Terbanyak: %(top)s",
                    len(groups)) % {"n": len(groups), "top": top}
    sent = 0
    for user in coordinators:
        if user.pk in already:
            continue
        if notify(user=user, event="kb_search_digest", text=text, url="/kb/pencarian/?hari=7", group_key=key):
            sent += 1
    return sent


@periodic("kb.search_digest", every=timedelta(days=7))
def digest_job() -> None:
    send_digest()
