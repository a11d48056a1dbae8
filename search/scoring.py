"""Ranking of a capped candidate set, shared by the database backends so that both rank alike.

The database picks up to CANDIDATES documents with its own cheap rank (FTS5 bm25(), ts_rank_cd); this module
reranks them with BM25 over the analysed terms, where each query *concept* (a word with its synonyms and
typo corrections) counts once, rewards documents that cover more of the question and have its words next
to each other, then applies small boosts for accepted answers, helpful votes and freshness.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .analysis import QueryPlan

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 2.0
PHRASE_BONUS = 0.25
# An identifier or error code found whole (`surat_ket_kelahiran`, `v2410.0.0`) is the strongest signal a
# question carries.
IDENTIFIER_BOOST = 2.0
FRESHNESS_HALF_LIFE_DAYS = 365.0


@dataclass(frozen=True)
class CorpusStats:
    docs: int
    avg_length: float
    df: dict[str, int]

    def idf(self, term: str) -> float:
        return self.idf_of(self.df.get(term, 0))

    def idf_of(self, df: int) -> float:
        df = max(df, 0)
        n = max(self.docs, df, 1)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


@dataclass
class Candidate:
    id: int
    # search.analysis serialisation: space-separated groups of `|`-joined terms.
    terms_title: str
    terms_body: str
    length: int
    accepted: bool = False
    helpful_votes: int = 0
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Scored:
    id: int
    score: float
    relevance: float
    coverage: float
    matched: int


@dataclass(frozen=True)
class _Alt:
    terms: tuple[str, ...]
    weight: float
    whole_only: bool  # a synonym phrase counts only when all its terms are there
    identifier: bool  # the identifier itself, found whole


@dataclass(frozen=True)
class _Concept:
    alternatives: tuple[_Alt, ...]
    idf: float
    countable: bool


class PreparedPlan:
    """What does not depend on the candidate, computed once per query."""

    def __init__(self, plan: QueryPlan, stats: CorpusStats) -> None:
        self.stats = stats
        self.terms = frozenset(plan.terms)
        concepts = []
        for concept in plan.concepts:
            # A concept's alternatives (synonyms, typo corrections) share one IDF, computed as if they were one
            # word: otherwise a rare spelling (`tdk`) would outweigh the common one (`tidak`) it stands for.
            blended = sum(min(stats.df.get(t, 0) for t in alt.terms) for alt in concept.alternatives)
            alternatives = tuple(
                _Alt(
                    alt.terms,
                    alt.weight,
                    alt.kind == "synonym",
                    concept.identifier and alt.kind == "original",
                )
                for alt in concept.alternatives
            )
            concepts.append(_Concept(alternatives, stats.idf_of(blended), blended > 0))
        self.concepts = tuple(concepts)
        self.length_base = K1 * (1.0 - B)
        self.length_scale = K1 * B / max(stats.avg_length, 1.0)


def _scan(
    serialized: str, terms: frozenset[str], weight: float, offset: int,
    tf: dict[str, float], positions: dict[str, list[int]],
) -> int:
    pos = offset
    for group in serialized.split(" "):
        if not group:
            continue
        for term in group.split("|"):
            if term in terms:
                tf[term] = tf.get(term, 0.0) + weight
                positions.setdefault(term, []).append(pos)
        pos += 1
    return pos


def boost(candidate: Candidate, now: datetime | None = None) -> float:
    factor = 1.0
    if candidate.accepted:
        factor *= 1.15
    if candidate.helpful_votes > 0:
        factor *= 1.0 + 0.05 * math.log1p(candidate.helpful_votes)
    if candidate.updated_at is not None:
        age_days = max(((now or timezone.now()) - candidate.updated_at).total_seconds() / 86400.0, 0.0)
        factor *= 1.0 + 0.1 * 0.5 ** (age_days / FRESHNESS_HALF_LIFE_DAYS)
    return factor


def score(prepared: PreparedPlan, candidate: Candidate, now: datetime | None = None) -> Scored:
    tf: dict[str, float] = {}
    positions: dict[str, list[int]] = {}
    end = _scan(candidate.terms_title, prepared.terms, TITLE_WEIGHT, 0, tf, positions)
    _scan(candidate.terms_body, prepared.terms, 1.0, end + 10, tf, positions)
    length_norm = prepared.length_base + prepared.length_scale * candidate.length

    relevance = 0.0
    covered = 0.0
    countable = 0.0
    matched = 0
    concept_positions: list[set[int]] = []
    for concept in prepared.concepts:
        best = 0.0
        best_fraction = 0.0
        where: set[int] = set()
        for alt in concept.alternatives:
            present = [t for t in alt.terms if t in tf]
            if not present or (alt.whole_only and len(present) < len(alt.terms)):
                continue
            fraction = len(present) / len(alt.terms)
            saturated = sum(tf[t] * (K1 + 1.0) / (tf[t] + length_norm) for t in present)
            value = alt.weight * fraction * concept.idf * saturated / len(alt.terms)
            if alt.identifier and fraction == 1.0:
                value *= IDENTIFIER_BOOST
            best = max(best, value)
            best_fraction = max(best_fraction, fraction * min(alt.weight / 0.9, 1.0))
            for t in present:
                where.update(positions[t])
        concept_positions.append(where)
        if concept.countable:
            countable += concept.idf
            covered += concept.idf * best_fraction
        if best > 0:
            matched += 1
        relevance += best
    adjacent = sum(
        1
        for left, right in itertools.pairwise(concept_positions)
        if left and right and any(p + 1 in right or p + 2 in right for p in left)
    )
    relevance *= 1.0 + PHRASE_BONUS * adjacent / max(len(prepared.concepts) - 1, 1)
    coverage = covered / countable if countable else 0.0
    value = relevance * (0.2 + 0.8 * coverage * coverage) * boost(candidate, now)
    return Scored(candidate.id, value, relevance, coverage, matched)
