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

from .analysis import Group, QueryPlan

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
    title_groups: list[Group]
    body_groups: list[Group]
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


def _term_stats(candidate: Candidate) -> tuple[dict[str, float], dict[str, list[int]]]:
    tf: dict[str, float] = {}
    positions: dict[str, list[int]] = {}
    for pos, group in enumerate(candidate.title_groups):
        for term in group:
            tf[term] = tf.get(term, 0.0) + TITLE_WEIGHT
            positions.setdefault(term, []).append(pos)
    offset = len(candidate.title_groups) + 10
    for pos, group in enumerate(candidate.body_groups, start=offset):
        for term in group:
            tf[term] = tf.get(term, 0.0) + 1.0
            positions.setdefault(term, []).append(pos)
    return tf, positions


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


def score(plan: QueryPlan, candidate: Candidate, stats: CorpusStats, now: datetime | None = None) -> Scored:
    tf, positions = _term_stats(candidate)
    length_norm = K1 * (1.0 - B + B * candidate.length / max(stats.avg_length, 1.0))

    def saturated(term: str) -> float:
        f = tf.get(term, 0.0)
        return f * (K1 + 1.0) / (f + length_norm) if f else 0.0

    relevance = 0.0
    covered = 0.0
    countable = 0.0
    matched = 0
    concept_positions: list[set[int]] = []
    for concept in plan.concepts:
        # A concept's alternatives (synonyms, typo corrections) share one IDF, computed as if they were one
        # word: otherwise a rare spelling (`tdk`) would outweigh the common one (`tidak`) it stands for.
        blended = sum(min(stats.df.get(t, 0) for t in alt.terms) for alt in concept.alternatives)
        idf = stats.idf_of(blended)
        best = 0.0
        best_fraction = 0.0
        where: set[int] = set()
        for alt in concept.alternatives:
            present = [t for t in alt.terms if t in tf]
            # A synonym phrase counts only whole: `basis data` must not match every note with `data`.
            if not present or (alt.kind == "synonym" and len(present) < len(alt.terms)):
                continue
            fraction = len(present) / len(alt.terms)
            value = alt.weight * fraction * idf * sum(saturated(t) for t in present) / len(alt.terms)
            if concept.identifier and alt.kind == "original" and fraction == 1.0:
                value *= IDENTIFIER_BOOST
            best = max(best, value)
            best_fraction = max(best_fraction, fraction * min(alt.weight / 0.9, 1.0))
            for t in present:
                where.update(positions[t])
        concept_positions.append(where)
        if blended > 0:
            countable += idf
            covered += idf * best_fraction
        if best > 0:
            matched += 1
        relevance += best
    adjacent = sum(
        1
        for left, right in itertools.pairwise(concept_positions)
        if left and right and any(p + 1 in right or p + 2 in right for p in left)
    )
    relevance *= 1.0 + PHRASE_BONUS * adjacent / max(len(plan.concepts) - 1, 1)
    coverage = covered / countable if countable else 0.0
    value = relevance * (0.2 + 0.8 * coverage * coverage) * boost(candidate, now)
    return Scored(candidate.id, value, relevance, coverage, matched)
