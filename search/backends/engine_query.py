"""Engine queries built from a `search.analysis` query plan.

User text never reaches the engine as query syntax: the plan's terms are sent inside `match`/`term` queries on
the pre-analysed `terms` field (and the plan's words, as plain text, in a `multi_match` on the engine-stemmed
`title`/`body`). There is no `query_string` anywhere, so `title:*`, quotes, `OR`, backslashes are just words.

Ranking mirrors `search.scoring` with the engine's BM25:
- one clause per *concept* (a query word with its synonyms, identifier parts and typo corrections), scored by
  its best alternative (`dis_max`); the single-word alternatives of a concept share one position in the query,
  so the engine blends them into one synonym term (one IDF, as `search.scoring` does);
- an identifier found whole counts double, its parts 0.7; typo corrections count 0.9/0.75/0.6;
- a document earns more the more of the question's concepts it holds;
- on the best RESCORE_WINDOW candidates per shard (`rescore`): a bonus for the words in order, a small weight
  for the engine's own `indonesian` analysis, then x accepted answers, helpful votes and freshness. Keeping the
  main query a plain disjunction lets the engine skip what cannot reach the top; wrapping it in function_score
  made it score every match (3x slower at 300k entries).
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import OSA

from ..analysis import STOPWORDS, Concept, QueryPlan
from ..highlight import Highlighter
from ..scoring import IDENTIFIER_BOOST
from ..types import SearchHit, SearchResults
from .engine_mapping import FRESHNESS_BOOST, FRESHNESS_HALF_LIFE_DAYS, doc_key

TOTAL_CAP = 1000
SOURCE_FIELDS = ["doc_type", "doc_id", "external_id", "url", "title", "body", "category", "region_code"]
# The engine's own Indonesian analysis of title/body: a small extra signal next to the pre-analysed terms.
# Measured on the evaluation set (docs/search.md): 0.2 lifts MRR@10 from 0.994 to 1.000; more starts to hurt.
ENGINE_TEXT_WEIGHT = 0.2
PHRASE_BONUS = 0.25
# Candidates per shard that get the phrase bonus, the engine's own analysis and the boosts.
RESCORE_WINDOW = 200
SUGGEST_TERMS = 12
# Filters that keep at least this share of the index are applied to the collected hits (`post_filter`) rather
# than joined to the query: same hits, scores and totals, but the engine keeps its fast path for a plain
# disjunction (measured on OpenSearch 2.19 at 1M entries, docs/search.md). A narrower filter stays in the query,
# where it lets the engine skip what it excludes (as a post_filter it was 5x slower at 1 %).
POST_FILTER_SHARE = 0.25


@dataclass(frozen=True)
class Filters:
    doc_types: tuple[str, ...] = ()
    category: str = ""
    region: str = ""
    version: str = ""
    audiences: frozenset[str] = frozenset()


def filter_clauses(filters: Filters) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    if filters.doc_types:
        clauses.append({"terms": {"doc_type": list(filters.doc_types)}})
    if filters.category:
        clauses.append({"term": {"category": filters.category}})
    if filters.region:
        clauses.append({"term": {"region_path": filters.region}})
    if filters.version:
        clauses.append({"bool": {"should": [
            {"term": {"version_path": filters.version}},
            {"term": {"has_versions": False}},
        ], "minimum_should_match": 1}})
    visible: list[dict[str, Any]] = [{"term": {"is_public": True}}]
    if filters.audiences:
        visible.append({"terms": {"audience": sorted(filters.audiences)}})
    clauses.append({"bool": {"should": visible, "minimum_should_match": 1}})
    return clauses


def _group(terms: Sequence[str]) -> str:
    """Alternatives at one position, as the `terms` analyzer reads them."""
    return "|".join(dict.fromkeys(terms))


def concept_query(concept: Concept) -> dict[str, Any] | None:
    same: list[str] = []  # single-term alternatives of full weight: one blended synonym term
    identifier: list[str] = []
    options: list[dict[str, Any]] = []
    for alt in concept.alternatives:
        if concept.identifier and alt.kind == "original":
            identifier += list(alt.terms)
        elif alt.kind == "part":
            options.append({"bool": {"should": [{"term": {"terms": t}} for t in alt.terms],
                                     "boost": round(alt.weight / len(alt.terms), 4)}})
        elif alt.kind == "fuzzy":
            options.append({"term": {"terms": {"value": alt.terms[0], "boost": alt.weight}}})
        elif len(alt.terms) == 1:
            same.append(alt.terms[0])
        else:
            # A synonym phrase counts only whole (every word present), like search.scoring's whole_only.
            options.append({"match": {"terms": {"query": " ".join(alt.terms), "operator": "and",
                                                "boost": round(alt.weight / len(alt.terms), 4)}}})
    if same:
        options.insert(0, {"match": {"terms": {"query": _group(same)}}})
    if identifier:
        options.insert(0, {"match": {"terms": {"query": _group(identifier), "boost": IDENTIFIER_BOOST}}})
    if not options:
        return None
    return options[0] if len(options) == 1 else {"dis_max": {"queries": options}}


def concepts_query(plan: QueryPlan) -> dict[str, Any] | None:
    """BM25 summed over the concepts: a document holding more of the question ranks higher. A plain disjunction
    of term-level queries, so the engine can skip documents that cannot reach the top (block-max WAND): the
    other signals are applied to the best candidates only (`rescores`).

    (A coverage bonus like search.scoring's, a second clause for documents holding 75 % of the concepts, was
    measured: it lowered MRR@10 and doubled the engine's work.)"""
    clauses = [q for q in (concept_query(c) for c in plan.concepts) if q is not None]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses, "minimum_should_match": 1}}


def extras_query(plan: QueryPlan, *, engine_text_weight: float = ENGINE_TEXT_WEIGHT,
                 phrase_bonus: float = PHRASE_BONUS) -> dict[str, Any] | None:
    """Added to the concepts' score of the best candidates: the question's words in order (phrase bonus), and the
    engine's own Indonesian analysis of title and body."""
    should: list[dict[str, Any]] = []
    groups = [_group(c.terms) for c in plan.concepts if c.terms]
    if phrase_bonus and len(groups) >= 2:
        should.append({"match_phrase": {"terms": {"query": " ".join(groups), "slop": 2, "boost": phrase_bonus}}})
    if engine_text_weight:
        words = " ".join(c.source for c in plan.concepts)
        should.append({"multi_match": {"query": words, "fields": ["title^2", "body"], "type": "most_fields",
                                       "boost": engine_text_weight}})
    return {"bool": {"should": should}} if should else None


def boost_factor() -> dict[str, Any]:
    """Scores every document with its boost: static (accepted, votes) x (1 + 0.1 * 0.5^(age / 1 year)), as
    `search.scoring.boost`."""
    freshness = {
        "function_score": {
            "query": {"match_all": {}},
            "functions": [
                {"weight": 1},
                {"filter": {"exists": {"field": "updated_at"}},
                 "exp": {"updated_at": {"origin": "now", "scale": f"{FRESHNESS_HALF_LIFE_DAYS}d", "decay": 0.5}},
                 "weight": FRESHNESS_BOOST},
            ],
            "score_mode": "sum",
            "boost_mode": "replace",
        }
    }
    return {
        "function_score": {
            "query": freshness,
            "functions": [{"field_value_factor": {"field": "boost", "missing": 1}}],
            "boost_mode": "multiply",
        }
    }


def rescores(window: int, extras: dict[str, Any] | None) -> list[dict[str, Any]]:
    """On the `window` best candidates of each shard: add the extra signals, then multiply by the boosts."""
    steps: list[dict[str, Any]] = []
    if extras is not None:
        steps.append({"window_size": window, "query": {"rescore_query": extras, "query_weight": 1.0,
                                                       "rescore_query_weight": 1.0, "score_mode": "total"}})
    steps.append({"window_size": window, "query": {"rescore_query": boost_factor(), "query_weight": 1.0,
                                                   "rescore_query_weight": 1.0, "score_mode": "multiply"}})
    return steps


def broad_filters(filters: Filters) -> bool:
    """Only the document types and the visibility (no category, region or version): the filters that usually
    keep most of the index."""
    return not (filters.category or filters.region or filters.version)


def filter_share(filters: Filters, counts: dict[str, int], private: int, total: int) -> float:
    """At least the share of the index's documents that `filters` keep (document types and visibility only):
    the documents of those types less every non-public one. `counts`: documents per type."""
    if total <= 0:
        return 0.0
    kept = sum(counts.get(t, 0) for t in filters.doc_types) if filters.doc_types else sum(counts.values())
    return max(0, kept - private) / total


def search_body(plan: QueryPlan, filters: Filters, *, limit: int, offset: int, timeout_ms: int,
                suggest: dict[str, Any] | None = None, post_filter: bool = False,
                **weights: float) -> dict[str, Any] | None:
    """`post_filter`: the filters are applied to the collected hits instead of joined to the query (for filters
    that keep most of the index, see POST_FILTER_SHARE); the hits, their scores and the total are the same."""
    relevance = concepts_query(plan)
    if relevance is None:
        return None
    clauses = filter_clauses(filters)
    body: dict[str, Any] = {
        "query": relevance if post_filter else {"bool": {"must": [relevance], "filter": clauses}},
        "rescore": rescores(max(RESCORE_WINDOW, offset + limit), extras_query(plan, **weights)),
        "from": offset,
        "size": limit,
        "track_total_hits": TOTAL_CAP,
        "_source": SOURCE_FIELDS,
        "timeout": f"{timeout_ms}ms",
    }
    if post_filter:
        body["post_filter"] = {"bool": {"filter": clauses}}
    if suggest:
        body["suggest"] = suggest
    return body


def suggest_body(like: str, filters: Filters, *, limit: int, minimum: int, timeout_ms: int,
                 concepts: Sequence[Sequence[str]] = ()) -> dict[str, Any]:
    """More like this over the analysed ticket text: the engine keeps its SUGGEST_TERMS rarest terms.

    More like this drops the words the index has never seen and lowers `minimum` to what is left, so a two-word
    text with one known word would match on that word alone. `concepts` (the alternatives of each word of the
    text) add a filter that counts every word: a hit shares at least `minimum` of them."""
    mlt = {
        "more_like_this": {
            "fields": ["terms"],
            "like": like,
            "min_term_freq": 1,
            "min_doc_freq": 1,
            "max_query_terms": SUGGEST_TERMS,
            "minimum_should_match": str(minimum),
            "min_word_length": 1,
        }
    }
    clauses = filter_clauses(filters)
    if minimum > 1 and len(concepts) >= minimum:
        clauses.append({"bool": {"should": [{"terms": {"terms": list(dict.fromkeys(c))}} for c in concepts],
                                 "minimum_should_match": minimum}})
    return {
        "query": {"bool": {"must": [mlt], "filter": clauses}},
        "rescore": rescores(max(RESCORE_WINDOW // 4, limit), None),
        "size": limit,
        "track_total_hits": False,
        "_source": SOURCE_FIELDS,
        "timeout": f"{timeout_ms}ms",
    }


# --- typo correction through the engine's term suggester ----------------------------------------------


def typo_candidates(plan: QueryPlan) -> list[str]:
    """The words `search.analysis` may correct: plain words (not synonyms, not identifiers) of 4+ letters."""
    words = []
    for concept in plan.concepts:
        word = concept.source
        if (
            not concept.identifier
            and all(a.kind == "original" for a in concept.alternatives)
            and word.isalpha() and word.isascii() and len(word) >= 4 and word not in STOPWORDS
        ):
            words.append(word)
    return list(dict.fromkeys(words))


def suggester(words: Sequence[str]) -> dict[str, Any]:
    """Per word: corrections if it is not in the index ("missing"); for a known word of 7+ letters, variants one
    edit away ("always"). Same first letter, as the database vocabulary does."""
    entries: dict[str, Any] = {}
    for i, word in enumerate(words):
        entries[f"m{i}"] = {"text": word, "term": {
            "field": "words", "suggest_mode": "missing", "max_edits": 1 if len(word) <= 5 else 2,
            "prefix_length": 1, "min_word_length": 4, "size": 5, "string_distance": "damerau_levenshtein",
        }}
        if len(word) >= 7:
            entries[f"a{i}"] = {"text": word, "term": {
                "field": "words", "suggest_mode": "always", "max_edits": 1, "prefix_length": 1,
                "min_word_length": 7, "size": 5, "max_term_freq": 2_000_000_000,
                "string_distance": "damerau_levenshtein",
            }}
    return entries


# What the term suggester said about one word: (unknown, candidates as (word, document frequency)).
WordEntry = tuple[bool, tuple[tuple[str, int], ...]]


def read_suggestions(words: Sequence[str], response: dict[str, Any]) -> dict[str, WordEntry]:
    entries: dict[str, WordEntry] = {}
    for i, word in enumerate(words):
        missing = _options(response.get(f"m{i}"))
        entries[word] = (True, missing) if missing else (False, _options(response.get(f"a{i}")))
    return entries


class SuggesterVocabulary:
    """`search.analysis.Vocabulary` answered from term-suggester results (fresh or cached per word)."""

    def __init__(self, entries: dict[str, WordEntry]) -> None:
        self.entries = entries

    @property
    def has_corrections(self) -> bool:
        return any(candidates for _, candidates in self.entries.values())

    def word_df(self, word: str) -> int:
        entry = self.entries.get(word)
        return 0 if entry is not None and entry[0] else 1

    def similar(self, word: str, max_edits: int) -> list[tuple[str, int, int]]:
        entry = self.entries.get(word)
        found = []
        for candidate, freq in entry[1] if entry else ():
            if candidate == word or not candidate or candidate[0] != word[0]:
                continue
            distance = int(OSA.distance(word, candidate))
            if distance <= max_edits:
                found.append((candidate, distance, freq))
        found.sort(key=lambda item: (item[1], -item[2], item[0]))
        return found


class WordCache:
    """Suggester results per word, kept for `ttl` seconds (the database vocabulary is cached the same way), so
    that a word seen recently costs neither a suggester run nor a second request."""

    def __init__(self, ttl: float = 60.0, size: int = 50_000) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, tuple[float, WordEntry]] = {}
        self._lock = threading.Lock()

    def get(self, word: str) -> WordEntry | None:
        found = self._entries.get(word)
        if found is None or time.monotonic() - found[0] > self.ttl:
            return None
        return found[1]

    def put(self, entries: dict[str, WordEntry]) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._entries) + len(entries) > self.size:
                self._entries.clear()
            for word, entry in entries.items():
                self._entries[word] = (now, entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _options(entries: Any) -> tuple[tuple[str, int], ...]:
    if not entries:
        return ()
    return tuple((str(o["text"]), int(o.get("freq", 0))) for entry in entries for o in entry.get("options", []))


# --- reading the answer -----------------------------------------------------------------------------


def _hit_id(doc_type: str, doc_id: str) -> int:
    # SearchHit.id is an int; the engine has none of its own. Stable per document, unique enough per page.
    return zlib.crc32(doc_key(doc_type, doc_id).encode())


def read_results(response: dict[str, Any], plan: QueryPlan, *, backend: str, took_ms: float,
                 count_total: bool = True) -> SearchResults:
    """The engine's answer as SearchResults, highlighted with the plan's terms."""
    marks = Highlighter(frozenset(plan.terms))
    hits = []
    for raw in response.get("hits", {}).get("hits", []):
        source = raw.get("_source") or {}
        doc_type = str(source.get("doc_type", ""))
        doc_id = str(source.get("doc_id", ""))
        title = str(source.get("title", ""))
        body = str(source.get("body", ""))
        hits.append(
            SearchHit(
                id=_hit_id(doc_type, doc_id),
                doc_type=doc_type,
                doc_id=doc_id,
                external_id=str(source.get("external_id", "")),
                title=title,
                title_html=marks.highlight(title),
                snippet=marks.snippet(body or title),
                url=str(source.get("url", "")),
                score=round(float(raw.get("_score") or 0.0), 4),
                category=str(source.get("category", "")),
                region_code=str(source.get("region_code", "")),
            )
        )
    total_info = response.get("hits", {}).get("total")
    if count_total and isinstance(total_info, dict):
        total = int(total_info.get("value", len(hits)))
        capped = total_info.get("relation") == "gte"
    else:
        total, capped = len(hits), False
    return SearchResults(hits=hits, total=total, backend=backend, total_capped=capped,
                         took_ms=round(took_ms, 2), terms=tuple(plan.terms))
