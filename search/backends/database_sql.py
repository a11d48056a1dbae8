"""The SQL each database speaks for full-text search: SQLite FTS5 or PostgreSQL tsvector + GIN.

`DatabaseBackend` (database.py) decides what to index and which candidates to fetch; a dialect only says how
its database stores the analysed terms and matches a `Retrieval`. Adding a database means adding a dialect here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections

from ..analysis import AnalyzedText, analyze, parse_groups
from ..models import SearchDocument
from ..types import Document, normalize_version
from .base import chunks

BATCH = 500
MAX_BODY_GROUPS = 5000


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
class Prepared:
    doc: Document
    title: AnalyzedText
    body: AnalyzedText

    @property
    def length(self) -> int:
        return len(self.title.groups) + len(self.body.groups)

    def terms(self) -> set[str]:
        return {t for g in (*self.title.groups, *self.body.groups) for t in g}


def prepare(doc: Document) -> Prepared:
    body = analyze(doc.body)
    if len(body.groups) > MAX_BODY_GROUPS:
        body = AnalyzedText(body.groups[:MAX_BODY_GROUPS], body.words)
    return Prepared(doc, analyze(doc.title), body)


class Dialect:
    vendor = ""

    def contains(self, column: str) -> str:
        raise NotImplementedError

    def insert_fts(self, cursor: Any, rows: list[tuple[int, Prepared]]) -> None:
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


class _SqliteDialect(Dialect):
    vendor = "sqlite"

    def contains(self, column: str) -> str:
        return f"instr({column}, %s) > 0"

    def insert_fts(self, cursor: Any, rows: list[tuple[int, Prepared]]) -> None:
        cursor.executemany(
            "INSERT INTO search_document_fts (rowid, terms_title, terms_body) VALUES (%s, %s, %s)",
            [(pk, p.title.serialize(), p.body.serialize()) for pk, p in rows],
        )

    def delete_fts(self, cursor: Any, ids: list[int]) -> None:
        for chunk in chunks(ids, BATCH):
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


class _PostgresDialect(Dialect):
    vendor = "postgresql"

    def contains(self, column: str) -> str:
        return f"strpos({column}, %s) > 0"

    def insert_fts(self, cursor: Any, rows: list[tuple[int, Prepared]]) -> None:
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


DIALECTS: dict[str, Dialect] = {"sqlite": _SqliteDialect(), "postgresql": _PostgresDialect()}


def dialect_for(using: str) -> Dialect:
    vendor = connections[using].vendor
    try:
        return DIALECTS[vendor]
    except KeyError:
        raise NotImplementedError(f"database search does not support {vendor}") from None


def _spaced(values: Iterable[str]) -> str:
    items = [v for v in values if v]
    return f" {' '.join(items)} " if items else ""


def remove_documents(using: str, doc_type: str, ids: list[str], deltas: Counter[tuple[str, str]]) -> int:
    """Delete documents and their FTS rows, counting the term statistics they take away into `deltas`."""
    rows = list(
        SearchDocument.objects.using(using)
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
    with connections[using].cursor() as cursor:
        dialect_for(using).delete_fts(cursor, pks)
    SearchDocument.objects.using(using).filter(id__in=pks).delete()
    return len(pks)


def insert_documents(using: str, prepared: list[Prepared], deltas: Counter[tuple[str, str]]) -> None:
    """Insert documents and their FTS rows, counting the term statistics they add into `deltas`."""
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
    created = SearchDocument.objects.using(using).bulk_create(objects)
    with connections[using].cursor() as cursor:
        dialect_for(using).insert_fts(cursor, [(obj.pk, p) for obj, p in zip(created, prepared, strict=True)])
    for p in prepared:
        for term in p.terms():
            deltas[("t", term)] += 1
        for word in p.title.words | p.body.words:
            deltas[("w", word)] += 1
        deltas[("s", "docs")] += 1
        deltas[("s", "length")] += p.length


def apply_term_deltas(using: str, deltas: Counter[tuple[str, str]]) -> None:
    """Add the counted changes to the per-term document frequencies (`search_term`) in one pass."""
    changes = sorted((k, v) for k, v in deltas.items() if v)
    if not changes:
        return
    with connections[using].cursor() as cursor:
        for chunk in chunks(changes, BATCH):
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
