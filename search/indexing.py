"""How upper layers get their objects indexed, without this package importing them.

An upper layer registers a `Source` per document type (the knowledge base registers "kb", tickets may
register "ticket") and calls `sync(doc_type, ids)` inside the transaction of a change:

- the database index is updated right there, in the same transaction, whatever the backend: on the database
  backends it *is* the index; with an engine it is the fallback searched while the engine is down;
- with an engine, an outbox job also carries the ids and indexes them in the engine after commit. While the
  engine is down the job is retried with backoff and never parked for an outage (SYNC_MAX_ATTEMPTS); jobs
  waiting for the engine are run in bulk by the first one that succeeds, and `wake_backlog` makes them due as
  soon as the engine answers again.

`search_reindex` walks every source.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from helpdesk.core import outbox
from helpdesk.core.models import OutboxJob
from helpdesk.core.scheduler import periodic

from .backends import get_backend
from .backends.base import SearchBackend
from .types import Document

log = logging.getLogger(__name__)

SYNC_JOB = "search.sync"
# With TASKS backoff capped at an hour, 1000 attempts keep a job alive for about six weeks of outage.
SYNC_MAX_ATTEMPTS = 1000
# One outbox run indexes up to this many ids, taking over the jobs queued behind it.
SYNC_BATCH_IDS = 500


@dataclass(frozen=True)
class Source:
    doc_type: str
    # ids -> the Document to index, or None when the object is gone or must not be searchable (a draft).
    load: Callable[[Sequence[str]], dict[str, Document | None]]
    # Every searchable object, for a full reindex.
    iterate: Callable[[], Iterable[Document]]
    count: Callable[[], int] | None = None


_SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> None:
    existing = _SOURCES.get(source.doc_type)
    if existing is not None and existing != source:
        raise ValueError(f"search source {source.doc_type!r} is registered twice")
    _SOURCES[source.doc_type] = source


def registered_sources() -> dict[str, Source]:
    return dict(_SOURCES)


def _source(doc_type: str) -> Source:
    try:
        return _SOURCES[doc_type]
    except KeyError:
        raise ValueError(f"no search source registered for {doc_type!r}") from None


def apply(backend: SearchBackend, doc_type: str, ids: Sequence[str]) -> None:
    """Make the index agree with the source for these ids: index what exists, delete what does not."""
    ids = [str(i) for i in dict.fromkeys(ids)]
    found = _source(doc_type).load(ids)
    present = [doc for doc in (found.get(i) for i in ids) if doc is not None]
    missing = [i for i in ids if found.get(i) is None]
    if present:
        backend.index(present)
    if missing:
        backend.delete(doc_type, missing)


def database_index(backend: SearchBackend) -> SearchBackend | None:
    """The database index that `sync` keeps in the caller's transaction: the backend itself, or an engine's
    fallback."""
    if backend.name == "database":
        return backend
    database = getattr(backend, "database", None)
    return database if database is not None else None


def sync(doc_type: str, ids: Iterable[Any]) -> None:
    """Call inside the transaction that changed these objects."""
    ids = [str(i) for i in ids]
    if not ids:
        return
    _source(doc_type)  # fail early on a typo, inside the caller's transaction
    backend = get_backend()
    database = database_index(backend)
    if database is not None:
        apply(database, doc_type, ids)
    if backend.name != "database":
        outbox.enqueue(SYNC_JOB, {"doc_type": doc_type, "ids": ids}, ordering_key=f"search:{doc_type}")


@outbox.handler(SYNC_JOB, max_attempts=SYNC_MAX_ATTEMPTS)
def _sync_job(payload: dict[str, Any], job: Any) -> None:
    """Index the job's ids, and those of the jobs queued behind it (same document type), in one bulk.

    Jobs of one type share an ordering key, so none behind this one can run meanwhile; the ones taken over
    are marked done in this job's transaction, which rolls back if the engine fails."""
    doc_type = payload["doc_type"]
    ids = [str(i) for i in payload["ids"]]
    absorbed: list[int] = []
    if isinstance(job, OutboxJob) and job.pk is not None and job.ordering_key:
        behind = (
            OutboxJob.objects.filter(kind=SYNC_JOB, ordering_key=job.ordering_key, status=OutboxJob.Status.PENDING,
                                     id__gt=job.pk)
            .order_by("id")
            .values_list("id", "payload")[:SYNC_BATCH_IDS]
        )
        for pk, other in behind:
            more = [str(i) for i in other.get("ids", [])]
            if other.get("doc_type") != doc_type or len(ids) + len(more) > SYNC_BATCH_IDS:
                break
            ids += more
            absorbed.append(pk)
    apply(get_backend(), doc_type, ids)
    if absorbed:
        OutboxJob.objects.filter(id__in=absorbed, status=OutboxJob.Status.PENDING).update(
            status=OutboxJob.Status.DONE, finished_at=timezone.now(), locked_until=None, last_error=""
        )


def backlog() -> dict[str, int]:
    """Sync jobs not yet applied to the engine (waiting or running), and parked ones."""
    jobs = OutboxJob.objects.filter(kind=SYNC_JOB)
    return {
        "pending": jobs.filter(status__in=[OutboxJob.Status.PENDING, OutboxJob.Status.RUNNING]).count(),
        "parked": jobs.filter(status=OutboxJob.Status.PARKED).count(),
    }


def wake_backlog() -> int:
    """When the engine answers again, make the sync jobs that are waiting out a backoff due now."""
    backend = get_backend()
    if backend.name == "database":
        return 0
    now = timezone.now()
    waiting = OutboxJob.objects.filter(kind=SYNC_JOB, status=OutboxJob.Status.PENDING, run_after__gt=now)
    if not waiting.exists() or backend.ping().get("status") != "ok":
        return 0
    woken = waiting.update(run_after=now)
    log.info("search engine answers again: %d waiting sync jobs are due now", woken)
    return woken


@periodic("search.wake_backlog", every=timedelta(seconds=30))
def _wake_backlog() -> None:
    wake_backlog()


def index_now(doc_type: str, ids: Sequence[Any]) -> bool:
    """Best effort, after commit: index these ids in the engine at once (a command that should return with
    its results searchable). The outbox job recorded by `sync` stays the guarantee; False if the engine
    could not take them now."""
    backend = get_backend()
    if backend.name == "database" or not ids:
        return True
    try:
        for start in range(0, len(ids), SYNC_BATCH_IDS):
            apply(backend, doc_type, [str(i) for i in ids[start : start + SYNC_BATCH_IDS]])
    except Exception as exc:
        log.warning("search engine did not take %d %s documents now (the outbox will): %s", len(ids), doc_type, exc)
        return False
    return True


def reindex(
    doc_types: Sequence[str] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    backend: SearchBackend | None = None,
) -> dict[str, int]:
    """Rebuild the index from the registered sources; returns the count per document type."""
    backend = backend or get_backend()
    types = list(doc_types) if doc_types else sorted(_SOURCES)
    for doc_type in types:
        _source(doc_type)
    counts: dict[str, int] = {}
    done = 0

    def documents() -> Iterable[Document]:
        nonlocal done
        for doc_type in types:
            counts[doc_type] = 0
            for doc in _SOURCES[doc_type].iterate():
                counts[doc_type] += 1
                yield doc

    def report(n: int) -> None:
        nonlocal done
        done = n
        if progress is not None:
            progress(n)

    started = timezone.now()
    backend.reindex(documents(), progress=report, doc_types=None if not doc_types else tuple(types))
    if backend.name != "database":
        replay(backend, started, types)
    return counts


def replay(backend: SearchBackend, since: datetime, doc_types: Sequence[str]) -> int:
    """Changes that reached the engine while a reindex was reading the sources went to the old index; apply
    them again to the new one. Jobs still pending run later against the new index anyway."""
    rows = OutboxJob.objects.filter(kind=SYNC_JOB).filter(
        Q(finished_at__gte=since) | Q(status=OutboxJob.Status.RUNNING)
    ).values_list("payload", flat=True)
    wanted = set(doc_types)
    by_type: dict[str, dict[str, None]] = {}
    for payload in rows.iterator():
        if payload.get("doc_type") in wanted:
            by_type.setdefault(payload["doc_type"], {}).update(dict.fromkeys(str(i) for i in payload.get("ids", [])))
    replayed = 0
    for doc_type, found in by_type.items():
        ids = list(found)
        for start in range(0, len(ids), SYNC_BATCH_IDS):
            chunk = ids[start : start + SYNC_BATCH_IDS]
            try:
                apply(backend, doc_type, chunk)
            except Exception as exc:
                log.warning("replay after reindex deferred to the outbox: %s", exc)
                outbox.enqueue(SYNC_JOB, {"doc_type": doc_type, "ids": chunk}, ordering_key=f"search:{doc_type}")
            replayed += len(chunk)
    return replayed


def expected_total(doc_types: Sequence[str] | None = None) -> int | None:
    types = list(doc_types) if doc_types else sorted(_SOURCES)
    total = 0
    for doc_type in types:
        count = _source(doc_type).count
        if count is None:
            return None
        total += count()
    return total
