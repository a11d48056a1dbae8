"""Full-text search inside the main database: SQLite FTS5 or PostgreSQL tsvector + GIN.

Both dialects store the terms produced by `search.analysis` (stemming, identifiers), expand queries with
the same synonyms and typo corrections, fetch a capped candidate set with the database's own cheap rank,
and rerank it with `search.scoring`, so that they answer alike. Writes join the caller's transaction.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from ..analysis import AnalyzedText, QueryPlan, analyze, parse_groups, plan_query
from ..highlight import highlight, snippet
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
    normalize_version,
)
from ..vocabulary import invalidate_vocabulary, vocabulary_for
from .base import SUGGEST_LIMIT

CANDIDATES = 200
TOTAL_CAP = 1000
BATCH = 500
# A term in more than this share of the documents does not pick candidates (it still counts in the ranking),
# unless the query has nothing rarer.
COMMON_TERM_SHARE = 0.2
POSTINGS_BUDGET = 5000
MAX_BODY_GROUPS = 5000
SUGGEST_CONCEPTS = 12

_CANDIDATE_COLUMNS = "d.id, d.terms_title, d.terms_body, d.length, d.accepted, d.helpful_votes, d.updated_at"


@dataclass(frozen=True)
class Filters:
    doc_types: tuple[str, ...] = ()
    category: str = ""
    region: str = ""
    version: str = ""
    audiences: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Retrieval:
    """Which documents become candidates: `groups` of terms (OR inside a group). `conjunctive` means every
    group must match (all terms were common); otherwise any term may, and `weights` (one IDF per group)
    order the candidates on backends whose own rank has no IDF."""

    groups: tuple[tuple[str, ...], ...]
    weights: tuple[float, ...]
    conjunctive: bool = False

    @property
    def terms(self) -> list[str]:
        return list(dict.fromkeys(t for g in self.groups for t in g))


@dataclass
class _Prepared:
    doc: Document
    title: AnalyzedText
    body: AnalyzedText

    @property
    def length(self) -> int:
        return len(self.title.groups) + len(self.body.groups)

    def terms(self) -> set[str]:
        return {t for g in (*self.title.groups, *self.body.groups) for t in g}


def _prepare(doc: Document) -> _Prepared:
    body = analyze(doc.body)
    if len(body.groups) > MAX_BODY_GROUPS:
        body = AnalyzedText(body.groups[:MAX_BODY_GROUPS], body.words)
    return _Prepared(doc, analyze(doc.title), body)


def _spaced(values: Iterable[str]) -> str:
    items = [v for v in values if v]
    return f" {' '.join(items)} " if items else ""


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _Dialect:
    vendor = ""

    def contains(self, column: str) -> str:
        raise NotImplementedError

    def insert_fts(self, cursor: Any, rows: list[tuple[int, _Prepared]]) -> None:
        raise NotImplementedError

    def delete_fts(self, cursor: Any, ids: list[int]) -> None:
        raise NotImplementedError

    def clear_fts(self, cursor: Any) -> None:
        raise NotImplementedError

    def match(self, retrieval: Retrieval) -> tuple[str, str, list[Any], str, list[Any]]:
        """(FROM clause, WHERE condition, its params, ORDER BY clause, its params)."""
        raise NotImplementedError

    def after_reindex(self, cursor: Any) -> None:
        pass


class _SqliteDialect(_Dialect):
    vendor = "sqlite"

    def contains(self, column: str) -> str:
        return f"instr({column}, %s) > 0"

    def insert_fts(self, cursor: Any, rows: list[tuple[int, _Prepared]]) -> None:
        cursor.executemany(
            "INSERT INTO search_document_fts (rowid, terms_title, terms_body) VALUES (%s, %s, %s)",
            [(pk, p.title.serialize(), p.body.serialize()) for pk, p in rows],
        )

    def delete_fts(self, cursor: Any, ids: list[int]) -> None:
        for chunk in _chunks(ids, BATCH):
            marks = ",".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM search_document_fts WHERE rowid IN ({marks})", chunk)  # noqa: S608

    def clear_fts(self, cursor: Any) -> None:
        cursor.execute("DELETE FROM search_document_fts")

    def match(self, retrieval: Retrieval) -> tuple[str, str, list[Any], str, list[Any]]:
        # Every term is quoted, so FTS5 syntax in the user's text (OR, NEAR, *, :, ^) is never syntax here.
        def group(terms: tuple[str, ...]) -> str:
            return "(" + " OR ".join('"' + t.replace('"', '""') + '"' for t in terms) + ")"

        joiner = " AND " if retrieval.conjunctive else " OR "
        expression = joiner.join(group(g) for g in retrieval.groups)
        return (
            # CROSS JOIN keeps the FTS index as the outer loop (SQLite's planner may otherwise scan documents).
            "search_document_fts f CROSS JOIN search_document d ON d.id = f.rowid",
            "search_document_fts MATCH %s",
            [expression],
            "bm25(search_document_fts, 2.0, 1.0)",  # has IDF already
            [],
        )

    def after_reindex(self, cursor: Any) -> None:
        cursor.execute("INSERT INTO search_document_fts (search_document_fts) VALUES ('optimize')")


def _tsquote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(title_groups: Sequence[tuple[str, ...]], body_groups: Sequence[tuple[str, ...]]) -> str:
    """The analysed terms as a tsvector literal (title weight A, body D), bypassing PostgreSQL's parser."""
    positions: dict[str, list[str]] = {}
    pos = 1
    for group in title_groups:
        for term in group:
            entries = positions.setdefault(term, [])
            if len(entries) < 256:
                entries.append(f"{pos}A")
        pos = min(pos + 1, 16383)
    pos = min(pos + 1, 16383)
    for group in body_groups:
        for term in group:
            entries = positions.setdefault(term, [])
            if len(entries) < 256:
                entries.append(str(pos))
        pos = min(pos + 1, 16383)
    return " ".join(f"{_tsquote(term)}:{','.join(entries)}" for term, entries in positions.items())


class _PostgresDialect(_Dialect):
    vendor = "postgresql"

    def contains(self, column: str) -> str:
        return f"strpos({column}, %s) > 0"

    def insert_fts(self, cursor: Any, rows: list[tuple[int, _Prepared]]) -> None:
        if not rows:
            return
        values = ",".join(["(%s, %s::tsvector)"] * len(rows))
        params: list[Any] = []
        for pk, p in rows:
            params += [pk, tsvector_literal(p.title.groups, p.body.groups)]
        cursor.execute(
            f"UPDATE search_document AS d SET tsv = v.tsv FROM (VALUES {values}) AS v(id, tsv) "  # noqa: S608
            "WHERE d.id = v.id",
            params,
        )

    def delete_fts(self, cursor: Any, ids: list[int]) -> None:
        return None  # the tsvector lives in the document row

    def clear_fts(self, cursor: Any) -> None:
        return None

    def match(self, retrieval: Retrieval) -> tuple[str, str, list[Any], str, list[Any]]:
        def group(terms: tuple[str, ...]) -> str:
            return "(" + " | ".join(_tsquote(t) for t in terms) + ")"

        if retrieval.conjunctive:
            # Only common words: any document holding all of them will do; the reranker orders them.
            query = " & ".join(group(g) for g in retrieval.groups)
            return ("search_document d", "d.tsv @@ %s::tsquery", [query], "d.id", [])
        query = " | ".join(group(g) for g in retrieval.groups)
        # ts_rank_cd knows nothing of how rare a word is; order candidates by the summed IDF of the query
        # groups they match, so that the document with the one rare word is not crowded out.
        order = " + ".join(["(CASE WHEN d.tsv @@ %s::tsquery THEN %s ELSE 0 END)"] * len(retrieval.groups))
        order_params: list[Any] = []
        for g, weight in zip(retrieval.groups, retrieval.weights, strict=True):
            order_params += [group(g), round(weight, 4)]
        return ("search_document d", "d.tsv @@ %s::tsquery", [query], f"{order} DESC, d.id", order_params)

    def after_reindex(self, cursor: Any) -> None:
        cursor.execute("ANALYZE search_document")


_DIALECTS: dict[str, _Dialect] = {"sqlite": _SqliteDialect(), "postgresql": _PostgresDialect()}


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
    def dialect(self) -> _Dialect:
        vendor = self.connection.vendor
        try:
            return _DIALECTS[vendor]
        except KeyError:
            raise NotImplementedError(f"database search does not support {vendor}") from None

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
            for chunk in _chunks(latest.values(), BATCH):
                by_type: dict[str, list[str]] = {}
                for d in chunk:
                    by_type.setdefault(d.doc_type, []).append(d.doc_id)
                for doc_type, ids in by_type.items():
                    self._remove(doc_type, ids, deltas)
                self._insert([_prepare(d) for d in chunk], deltas)
            self._apply_deltas(deltas)
        invalidate_vocabulary(self.using)

    def delete(self, doc_type: str, ids: Iterable[str]) -> int:
        ids = [str(i) for i in ids]
        if not ids:
            return 0
        removed = 0
        with transaction.atomic(using=self.using):
            deltas: Counter[tuple[str, str]] = Counter()
            for chunk in _chunks(ids, BATCH):
                removed += self._remove(doc_type, chunk, deltas)
            self._apply_deltas(deltas)
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
                    for chunk in _chunks(ids, BATCH):
                        self._remove(doc_type, chunk, deltas)
            seen: set[tuple[str, str]] = set()
            for chunk in _chunks(docs, BATCH):
                fresh = []
                for d in chunk:
                    if doc_types is not None and d.doc_type not in doc_types:
                        raise ValueError(f"reindex of {doc_types} got a {d.doc_type!r} document")
                    key = (d.doc_type, d.doc_id)
                    if key in seen:
                        raise ValueError(f"reindex got {d.doc_type}:{d.doc_id} twice")
                    seen.add(key)
                    fresh.append(_prepare(d))
                self._insert(fresh, deltas)
                total += len(fresh)
                if progress is not None:
                    progress(total)
            self._apply_deltas(deltas)
            self.dialect.after_reindex(cursor)
        invalidate_vocabulary(self.using)
        return total

    def _remove(self, doc_type: str, ids: list[str], deltas: Counter[tuple[str, str]]) -> int:
        rows = list(
            SearchDocument.objects.using(self.using)
            .filter(doc_type=doc_type, doc_id__in=ids)
            .values_list("id", "title", "body", "terms_title", "terms_body")
        )
        if not rows:
            return 0
        for _pk, title, body, terms_title, terms_body in rows:
            terms = {t for g in (*parse_groups(terms_title), *parse_groups(terms_body)) for t in g}
            words = analyze(title).words | analyze(body).words
            for term in terms:
                deltas[("t", term)] -= 1
            for word in words:
                deltas[("w", word)] -= 1
            deltas[("s", "docs")] -= 1
            deltas[("s", "length")] -= len(parse_groups(terms_title)) + len(parse_groups(terms_body))
        pks = [r[0] for r in rows]
        with self.connection.cursor() as cursor:
            self.dialect.delete_fts(cursor, pks)
        SearchDocument.objects.using(self.using).filter(id__in=pks).delete()
        return len(pks)

    def _insert(self, prepared: list[_Prepared], deltas: Counter[tuple[str, str]]) -> None:
        if not prepared:
            return
        objects = [
            SearchDocument(
                doc_type=p.doc.doc_type,
                doc_id=p.doc.doc_id,
                external_id=p.doc.external_id,
                url=p.doc.url,
                title=p.doc.title,
                body=p.doc.body,
                terms_title=p.title.serialize(),
                terms_body=p.body.serialize(),
                length=p.length,
                category=p.doc.category,
                region_code=p.doc.region_code,
                versions=_spaced(normalize_version(v) for v in p.doc.versions),
                is_public=p.doc.is_public,
                audience=_spaced(p.doc.audience),
                accepted=p.doc.accepted,
                helpful_votes=p.doc.helpful_votes,
                updated_at=p.doc.updated_at,
            )
            for p in prepared
        ]
        created = SearchDocument.objects.using(self.using).bulk_create(objects)
        with self.connection.cursor() as cursor:
            self.dialect.insert_fts(cursor, [(obj.pk, p) for obj, p in zip(created, prepared, strict=True)])
        for p in prepared:
            for term in p.terms():
                deltas[("t", term)] += 1
            for word in p.title.words | p.body.words:
                deltas[("w", word)] += 1
            deltas[("s", "docs")] += 1
            deltas[("s", "length")] += p.length

    def _apply_deltas(self, deltas: Counter[tuple[str, str]]) -> None:
        changes = sorted((k, v) for k, v in deltas.items() if v)
        if not changes:
            return
        with self.connection.cursor() as cursor:
            for chunk in _chunks(changes, BATCH):
                values = ",".join(["(%s, %s, %s)"] * len(chunk))
                params: list[Any] = []
                for (kind, term), value in chunk:
                    params += [kind, term[:80], value]
                cursor.execute(
                    f"INSERT INTO search_term (kind, term, df) VALUES {values} "  # noqa: S608
                    "ON CONFLICT (kind, term) DO UPDATE SET df = search_term.df + excluded.df",
                    params,
                )
            if any(v < 0 for _, v in changes):
                cursor.execute("DELETE FROM search_term WHERE df <= 0 AND kind <> 's'")

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
        focused, stats = self._suggest_plan(text)
        filters = Filters(doc_types=doc_types, audiences=audiences)
        min_matched = 1 if len(focused.concepts) <= 2 else 2
        return self._execute(
            focused, filters, limit, 0, started, stats=stats, min_matched=min_matched, count_total=False
        )

    def suggest_plan(self, text: str) -> QueryPlan:
        """The more-like-this query `suggest` runs for a text (for benchmarks and debugging)."""
        return self._suggest_plan(text)[0]

    def _suggest_plan(self, text: str) -> tuple[QueryPlan, CorpusStats]:
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
        return QueryPlan(plan.text, tuple(c for c in plan.concepts if id(c) in keep)), stats

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
            (s for s in (score(prepared, c, now) for c in candidates) if s.matched >= min_matched and s.score > 0),
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
        marks = frozenset(plan.terms)
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
                    title_html=highlight(row.title, marks),
                    snippet=snippet(row.body or row.title, marks),
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
