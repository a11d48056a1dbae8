"""Full-text search inside the main database: SQLite FTS5 or PostgreSQL tsvector + GIN.

Both dialects store the terms produced by `search.analysis` (stemming, identifiers), expand queries with
the same synonyms and typo corrections, fetch a capped candidate set with the database's own cheap rank,
and rerank it with `search.scoring`, so that they answer alike. Writes join the caller's transaction.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from ..analysis import QueryPlan, plan_query
from ..highlight import Highlighter
from ..models import SearchDocument
from ..scoring import IDENTIFIER_BOOST, Candidate, CorpusStats, PreparedPlan, Scored, score
from ..synonyms import current_synonyms
from ..types import (
    MAX_QUERY_CHARS,
    MAX_QUERY_TERMS,
    Document,
    SearchHit,
    SearchQuery,
    SearchResults,
)
from ..vocabulary import invalidate_vocabulary, vocabulary_for
from .base import SUGGEST_LIMIT, chunks
from .database_sql import (
    BATCH,
    Dialect,
    Retrieval,
    apply_term_deltas,
    dialect_for,
    insert_documents,
    prepare,
    remove_documents,
)

CANDIDATES = 200
TOTAL_CAP = 1000
# A term in more than this share of the documents does not pick candidates (it still counts in the ranking),
# unless the query has nothing rarer.
COMMON_TERM_SHARE = 0.2
POSTINGS_BUDGET = 5000
SUGGEST_CONCEPTS = 12

_CANDIDATE_COLUMNS = "d.id, d.terms_title, d.terms_body, d.length, d.accepted, d.helpful_votes, d.updated_at"


@dataclass(frozen=True)
class Filters:
    doc_types: tuple[str, ...] = ()
    category: str = ""
    region: str = ""
    version: str = ""
    audiences: frozenset[str] = frozenset()


class DatabaseBackend:
    """Search in the main database (SQLite FTS5 or PostgreSQL)."""

    name = "database"

    def __init__(self, using: str = "default") -> None:
        self.using = using

    # --- plumbing ---------------------------------------------------------------------------------------

    @property
    def connection(self) -> Any:
        return connections[self.using]

    @property
    def dialect(self) -> Dialect:
        return dialect_for(self.using)

    def ping(self) -> dict[str, Any]:
        try:
            count = self.count()
        except Exception as exc:
            return {"status": "down", "engine": "database", "error": type(exc).__name__}
        return {"status": "ok", "engine": "database", "vendor": self.connection.vendor, "documents": count}

    def count(self, doc_type: str | None = None) -> int:
        qs = SearchDocument.objects.using(self.using)
        if doc_type:
            qs = qs.filter(doc_type=doc_type)
        return qs.count()

    # --- writing ----------------------------------------------------------------------------------------

    def index(self, docs: Sequence[Document]) -> None:
        latest = {(d.doc_type, d.doc_id): d for d in docs}
        if not latest:
            return
        with transaction.atomic(using=self.using):
            deltas: Counter[tuple[str, str]] = Counter()
            for chunk in chunks(latest.values(), BATCH):
                by_type: dict[str, list[str]] = {}
                for d in chunk:
                    by_type.setdefault(d.doc_type, []).append(d.doc_id)
                for doc_type, ids in by_type.items():
                    remove_documents(self.using, doc_type, ids, deltas)
                insert_documents(self.using, [prepare(d) for d in chunk], deltas)
            apply_term_deltas(self.using, deltas)
        invalidate_vocabulary(self.using)

    def delete(self, doc_type: str, ids: Iterable[str]) -> int:
        ids = [str(i) for i in ids]
        if not ids:
            return 0
        removed = 0
        with transaction.atomic(using=self.using):
            deltas: Counter[tuple[str, str]] = Counter()
            for chunk in chunks(ids, BATCH):
                removed += remove_documents(self.using, doc_type, chunk, deltas)
            apply_term_deltas(self.using, deltas)
        invalidate_vocabulary(self.using)
        return removed

    def reindex(
        self,
        docs: Iterable[Document],
        *,
        progress: Callable[[int], None] | None = None,
        doc_types: tuple[str, ...] | None = None,
    ) -> int:
        # One transaction: readers keep seeing the old index until the new one is committed.
        total = 0
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            deltas: Counter[tuple[str, str]] = Counter()
            if doc_types is None:
                cursor.execute("DELETE FROM search_document")
                self.dialect.clear_fts(cursor)
                cursor.execute("DELETE FROM search_term")
            else:
                for doc_type in doc_types:
                    ids = list(
                        SearchDocument.objects.using(self.using)
                        .filter(doc_type=doc_type)
                        .values_list("doc_id", flat=True)
                    )
                    for chunk in chunks(ids, BATCH):
                        remove_documents(self.using, doc_type, chunk, deltas)
            seen: set[tuple[str, str]] = set()
            for chunk in chunks(docs, BATCH):
                fresh = []
                for d in chunk:
                    if doc_types is not None and d.doc_type not in doc_types:
                        raise ValueError(f"reindex of {doc_types} got a {d.doc_type!r} document")
                    key = (d.doc_type, d.doc_id)
                    if key in seen:
                        raise ValueError(f"reindex got {d.doc_type}:{d.doc_id} twice")
                    seen.add(key)
                    fresh.append(prepare(d))
                insert_documents(self.using, fresh, deltas)
                total += len(fresh)
                if progress is not None:
                    progress(total)
            apply_term_deltas(self.using, deltas)
            self.dialect.after_reindex(cursor)
        invalidate_vocabulary(self.using)
        return total

    # --- reading ----------------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResults:
        started = time.perf_counter()
        plan = plan_query(
            query.text,
            synonyms=current_synonyms(),
            vocabulary=vocabulary_for(self.using),
            max_concepts=MAX_QUERY_TERMS,
            max_chars=MAX_QUERY_CHARS,
        )
        filters = Filters(
            doc_types=query.doc_types,
            category=query.category,
            region=query.region,
            version=query.normalized_version,
            audiences=query.audiences,
        )
        return self._execute(plan, filters, query.limit, query.offset, started)

    def suggest(
        self,
        text: str,
        *,
        limit: int = SUGGEST_LIMIT,
        doc_types: tuple[str, ...] = ("kb",),
        audiences: frozenset[str] = frozenset(),
    ) -> SearchResults:
        started = time.perf_counter()
        limit = max(1, min(limit, 20))
        focused, stats, words = self._suggest_plan(text)
        filters = Filters(doc_types=doc_types, audiences=audiences)
        # One shared word of several is chatter, not a similar problem. Counted over every word of the text,
        # including those the corpus has never seen (they were left out of the focused plan).
        min_matched = min(2, words)
        return self._execute(
            focused, filters, limit, 0, started, stats=stats, min_matched=min_matched, count_total=False
        )

    def suggest_plan(self, text: str) -> QueryPlan:
        """The more-like-this query `suggest` runs for a text (for benchmarks and debugging)."""
        return self._suggest_plan(text)[0]

    def _suggest_plan(self, text: str) -> tuple[QueryPlan, CorpusStats, int]:
        """The focused plan, the corpus statistics of its terms, and how many words the whole text has."""
        plan = plan_query(
            text,
            synonyms=current_synonyms(),
            vocabulary=vocabulary_for(self.using),
            max_concepts=64,
            max_chars=4000,
            typo_variants=False,
        )
        stats = self._stats(plan.terms)
        # More like this: keep the concepts whose rarest term is rarest in the corpus.
        ranked = sorted(
            (c for c in plan.concepts if any(stats.df.get(t, 0) for t in c.terms)),
            key=lambda c: -max(stats.idf(t) for t in c.terms if stats.df.get(t, 0)),
        )[:SUGGEST_CONCEPTS]
        keep = {id(c) for c in ranked}
        return QueryPlan(plan.text, tuple(c for c in plan.concepts if id(c) in keep)), stats, len(plan.concepts)

    def _stats(self, terms: list[str]) -> CorpusStats:
        df: dict[str, int] = {}
        docs = 0
        length = 0
        with self.connection.cursor() as cursor:
            marks = ",".join(["%s"] * len(terms)) or "''"
            cursor.execute(
                f"SELECT kind, term, df FROM search_term WHERE (kind = 't' AND term IN ({marks})) "  # noqa: S608
                "OR kind = 's'",
                terms,
            )
            for kind, term, value in cursor.fetchall():
                if kind == "t":
                    df[term] = int(value)
                elif term == "docs":
                    docs = int(value)
                elif term == "length":
                    length = int(value)
        return CorpusStats(docs=docs, avg_length=(length / docs) if docs else 1.0, df=df)

    def _filter_sql(self, filters: Filters) -> tuple[list[str], list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if filters.doc_types:
            clauses.append(f"d.doc_type IN ({','.join(['%s'] * len(filters.doc_types))})")
            params += list(filters.doc_types)
        if filters.category:
            clauses.append("d.category = %s")
            params.append(filters.category)
        if filters.region:
            clauses.append("(d.region_code = %s OR d.region_code LIKE %s)")
            params += [filters.region, filters.region + ".%"]
        if filters.version:
            contains = self.dialect.contains("d.versions")
            clauses.append(f"(d.versions = '' OR {contains} OR {contains})")
            params += [f" {filters.version} ", f" {filters.version}."]
        visible = ["d.is_public = %s"]
        params.append(True)
        for key in sorted(filters.audiences):
            visible.append(self.dialect.contains("d.audience"))
            params.append(f" {key} ")
        clauses.append("(" + " OR ".join(visible) + ")")
        return clauses, params

    def _retrieval(self, plan: QueryPlan, stats: CorpusStats) -> Retrieval | None:
        """Pick the terms that choose candidates, keeping the work bounded: the rarest terms, up to
        POSTINGS_BUDGET matching documents in all, none in more than COMMON_TERM_SHARE of the corpus. When
        every term is common, candidates must hold every concept instead."""
        df = stats.df
        concepts = [[t for t in c.terms if df.get(t, 0) > 0] for c in plan.concepts]
        concepts = [c for c in concepts if c]
        if not concepts:
            return None
        present = list(dict.fromkeys(t for c in concepts for t in c))
        chosen: set[str] = set()
        if stats.docs < 50:
            chosen = set(present)
        else:
            spent = 0
            for term in sorted(present, key=lambda t: (df[t], t)):
                if df[term] > COMMON_TERM_SHARE * stats.docs or spent + df[term] > POSTINGS_BUDGET:
                    break
                chosen.add(term)
                spent += df[term]
        if not chosen:
            every = tuple(tuple(c) for c in concepts)
            return Retrieval(every, tuple(1.0 for _ in every), conjunctive=True)
        groups: list[tuple[str, ...]] = []
        weights: list[float] = []
        for concept in plan.concepts:
            if concept.identifier:
                # The identifier itself and its parts are separate signals of very different strength.
                for alt in concept.alternatives:
                    terms = tuple(t for t in alt.terms if t in chosen)
                    if terms:
                        boost = IDENTIFIER_BOOST if alt.kind == "original" else alt.weight
                        groups.append(terms)
                        weights.append(stats.idf_of(sum(df[t] for t in terms)) * boost)
                continue
            terms = tuple(t for t in concept.terms if t in chosen)
            if terms:
                groups.append(terms)
                weights.append(stats.idf_of(sum(df.get(t, 0) for t in concept.terms)))
        return Retrieval(tuple(groups), tuple(weights))

    def _execute(
        self,
        plan: QueryPlan,
        filters: Filters,
        limit: int,
        offset: int,
        started: float,
        *,
        stats: CorpusStats | None = None,
        min_matched: int = 1,
        count_total: bool = True,
    ) -> SearchResults:
        dialect = self.dialect
        empty = SearchResults(hits=[], total=0, backend=f"database:{dialect.vendor}", terms=tuple(plan.terms))
        if not plan:
            return empty
        stats = stats or self._stats(plan.terms)
        retrieval = self._retrieval(plan, stats)
        if retrieval is None:
            return empty
        source, condition, match_params, order, order_params = dialect.match(retrieval)
        clauses, filter_params = self._filter_sql(filters)
        where = " AND ".join([condition, *clauses])
        sql = (
            f"SELECT {_CANDIDATE_COLUMNS} FROM {source} WHERE {where} "  # noqa: S608
            f"ORDER BY {order} LIMIT {CANDIDATES}"
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [*match_params, *filter_params, *order_params])
            rows = cursor.fetchall()
            candidates = [
                Candidate(
                    id=row[0],
                    terms_title=row[1],
                    terms_body=row[2],
                    length=row[3],
                    accepted=bool(row[4]),
                    helpful_votes=row[5],
                    updated_at=_aware(row[6], self.connection),
                )
                for row in rows
            ]
            total, capped = len(candidates), False
            if count_total and len(candidates) >= CANDIDATES:
                cursor.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where} LIMIT {TOTAL_CAP}) s",  # noqa: S608
                    [*match_params, *filter_params],
                )
                total = int(cursor.fetchone()[0])
                capped = total >= TOTAL_CAP
        prepared = PreparedPlan(plan, stats)
        now = timezone.now()
        scored: list[Scored] = sorted(
            (
                s
                for s in (score(prepared, c, now) for c in candidates)
                if s.matched >= min_matched and s.score > 0
            ),
            key=lambda s: (-s.score, s.id),
        )
        if min_matched > 1 or not count_total:
            total = len(scored)
        page = scored[offset : offset + limit]
        hits = self._hits(page, plan)
        took = (time.perf_counter() - started) * 1000
        return SearchResults(
            hits=hits,
            total=total,
            backend=f"database:{dialect.vendor}",
            total_capped=capped,
            took_ms=round(took, 2),
            terms=tuple(plan.terms),
        )

    def _hits(self, page: list[Scored], plan: QueryPlan) -> list[SearchHit]:
        if not page:
            return []
        rows = SearchDocument.objects.using(self.using).in_bulk([s.id for s in page])
        marks = Highlighter(frozenset(plan.terms))
        hits = []
        for s in page:
            row = rows[s.id]
            hits.append(
                SearchHit(
                    id=row.id,
                    doc_type=row.doc_type,
                    doc_id=row.doc_id,
                    external_id=row.external_id,
                    title=row.title,
                    title_html=marks.highlight(row.title),
                    snippet=marks.snippet(row.body or row.title),
                    url=row.url,
                    score=round(s.score, 4),
                    category=row.category,
                    region_code=row.region_code,
                )
            )
        return hits


def _aware(value: Any, connection: Any) -> Any:
    """Raw SQLite rows hold naive UTC datetimes (or text); make them aware like the ORM would."""
    if value is None:
        return None
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        value = parse_datetime(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
