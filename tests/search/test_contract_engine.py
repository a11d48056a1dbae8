"""The backend contract on the real OpenSearch node, through opensearch-py and through the official
elasticsearch 8 client (via the test-only Elasticsearch-compatible proxy, tests/search/engine_proxy.py)."""

from __future__ import annotations

from typing import Any

import pytest

from search.backends.engine import EngineBackend
from search.types import SearchQuery
from tests.search.conftest import EngineFactory
from tests.search.contract import SearchBackendContract

pytestmark = [pytest.mark.search_engine, pytest.mark.django_db]


@pytest.fixture(params=["opensearch", "elasticsearch"])
def backend(request: pytest.FixtureRequest, engine_factory: EngineFactory, db: Any) -> EngineBackend:
    return engine_factory(request.param)


class TestEngineBackend(SearchBackendContract):
    def test_answers_come_from_the_engine(self, indexed: EngineBackend) -> None:
        results = indexed.search(SearchQuery(text="impor penduduk"))
        assert results.backend == indexed.engine and not results.fallback
        assert type(indexed.client.raw).__module__.split(".")[0] == (
            "elasticsearch" if indexed.engine == "elasticsearch" else "opensearchpy"
        )
        assert indexed.ping()["status"] == "ok"
