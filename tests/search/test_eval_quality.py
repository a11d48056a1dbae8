"""`make search-eval` targets, asserted on the backend of this pass (SQLite, or PostgreSQL in its pass).

Reads ../shared/data/opensid-release-notes.tsv at run time (HELPDESK_SEARCH_EVAL_CORPUS overrides the path).
"""

from __future__ import annotations

from typing import Any

import pytest

from search.backends.database import DatabaseBackend
from search.synonyms import invalidate_synonyms
from search.vocabulary import invalidate_vocabulary
from tests.search_eval.core import (
    TARGET_MRR_AT_10,
    TARGET_RECALL_AT_5,
    baseline_plain_bm25,
    default_corpus,
    evaluate_backend,
    load_corpus,
    load_queries,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus() -> Any:
    path = default_corpus()
    if not path.exists():
        pytest.skip(f"shared data file absent: {path} (set HELPDESK_SEARCH_EVAL_CORPUS)")
    return load_corpus(path)


def test_query_set_is_big_enough() -> None:
    queries = load_queries()
    assert len(queries) >= 60
    assert len({q.text for q in queries}) == len(queries)


def test_database_backend_meets_the_targets(corpus: Any) -> None:
    invalidate_synonyms()
    invalidate_vocabulary()
    queries = load_queries()
    result = evaluate_backend(DatabaseBackend(), corpus, queries)
    misses = [row for row in result["per_query"] if row["rank"] is None or row["rank"] > 5]
    assert result["recall_at_5"] >= TARGET_RECALL_AT_5, misses
    assert result["mrr_at_10"] >= TARGET_MRR_AT_10, result["per_query"]
    # And it does better than plain BM25 over single words, the reference in the issue.
    plain = baseline_plain_bm25(corpus, queries)
    assert result["mrr_at_10"] > plain["mrr_at_10"]
