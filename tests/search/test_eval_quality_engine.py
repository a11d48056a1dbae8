"""`make search-eval` targets on the OpenSearch node (Recall@5 >= 0.95, MRR@10 >= 0.90), and the engine's own
analysis as the reference it must beat. Reads ../shared/data/opensid-release-notes.tsv at run time."""

from __future__ import annotations

from typing import Any

import pytest

from tests.search.conftest import EngineFactory
from tests.search_eval.core import (
    TARGET_MRR_AT_10,
    TARGET_RECALL_AT_5,
    baseline_engine_native,
    default_corpus,
    evaluate_backend,
    load_corpus,
    load_queries,
)

pytestmark = [pytest.mark.search_engine, pytest.mark.django_db]


@pytest.fixture
def corpus() -> Any:
    path = default_corpus()
    if not path.exists():
        pytest.skip(f"shared data file absent: {path} (set HELPDESK_SEARCH_EVAL_CORPUS)")
    return load_corpus(path)


@pytest.mark.parametrize("kind", ["opensearch", "elasticsearch"])
def test_engine_backend_meets_the_targets(engine_factory: EngineFactory, corpus: Any, kind: str) -> None:
    backend = engine_factory(kind)
    queries = load_queries()
    result = evaluate_backend(backend, corpus, queries)
    misses = [row for row in result["per_query"] if row["rank"] is None or row["rank"] > 5]
    assert result["recall_at_5"] >= TARGET_RECALL_AT_5, misses
    assert result["mrr_at_10"] >= TARGET_MRR_AT_10, result["per_query"]
    if kind == "opensearch":
        # Better than the engine with its own Indonesian analysis and nothing else.
        native = baseline_engine_native(backend.client, f"{backend.alias}-native", corpus, queries)
        assert result["mrr_at_10"] > native["mrr_at_10"]
