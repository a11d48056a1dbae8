"""What only the engine backend promises: versioned indices behind an alias, mapping checks, fallback to the
database when the engine is down or slow, and that user text never reaches the engine as query syntax.

Runs against the real OpenSearch node; faults come from EngineProxy (cut, slow), never from stopping the node.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from helpdesk.settings.env import SearchConfig
from search.backends.database import DatabaseBackend
from search.backends.engine import EngineBackend
from search.backends.engine_client import EngineRequestError, EngineUnavailable
from search.backends.engine_mapping import MAPPING_VERSION, index_body
from search.checks import check_engine_mapping
from search.types import Document, SearchQuery
from tests.search.conftest import EngineFactory
from tests.search.contract import CORPUS, TAGS
from tests.search.engine_proxy import EngineProxy
from tests.services import wait_for

pytestmark = [pytest.mark.search_engine, pytest.mark.django_db]


def engine_indices(backend: EngineBackend) -> set[str]:
    return set(backend.client.indices(f"{backend.alias}-v*"))


@pytest.fixture
def proxy(engine_upstream: str) -> Iterator[EngineProxy]:
    with EngineProxy(engine_upstream) as running:
        yield running


def engine_settings(backend: EngineBackend) -> Any:
    return override_settings(SEARCH={"engine": backend.engine, "url": backend.url, "username": "", "password": ""})


# --- indices behind an alias ------------------------------------------------------------------------------


def test_reindex_builds_a_new_versioned_index_swaps_the_alias_and_drops_the_old(engine_factory: EngineFactory) -> None:
    backend = engine_factory()
    first = backend.index_state(fresh=True)
    assert first.ok and first.index.startswith(f"{backend.alias}-v{MAPPING_VERSION}-")
    seen: list[int] = []
    assert backend.reindex(CORPUS, progress=seen.append) == len(CORPUS)
    second = backend.index_state(fresh=True)
    assert second.index != first.index
    assert engine_indices(backend) == {second.index}
    assert seen[-1] == len(CORPUS) and backend.count() == len(CORPUS)


def _segments(backend: EngineBackend, index: str) -> int:
    answer = backend.client.raw.cat.segments(index=index, format="json")
    return len(getattr(answer, "body", answer))


@pytest.mark.parametrize("kind", ["opensearch", "elasticsearch"])
def test_a_reindex_serves_one_segment_per_shard(
    engine_factory: EngineFactory, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    backend = engine_factory(kind=kind)
    old = backend.index_state(fresh=True).index
    monkeypatch.setattr("search.backends.engine.BATCH", 4)
    built: list[int] = []

    def refresh_the_build(n: int) -> None:  # as a long reindex does when the engine flushes: one segment per batch
        (building,) = engine_indices(backend) - {old}
        backend.client.refresh(building)
        built.append(_segments(backend, building))

    backend.reindex(CORPUS, progress=refresh_the_build)
    assert built[-1] > 1  # the build had several segments ...
    assert _segments(backend, backend.index_state(fresh=True).index) == 1  # ... and serves one
    assert backend.count() == len(CORPUS)


def test_a_merge_that_fails_leaves_the_new_index_serving(
    engine_factory: EngineFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    backend = engine_factory()

    def too_slow(index: str, **kwargs: Any) -> None:
        raise EngineUnavailable("ReadTimeoutError: timed out", status=None)

    monkeypatch.setattr(backend.client, "force_merge", too_slow)
    assert backend.reindex(CORPUS) == len(CORPUS)
    assert backend.count() == len(CORPUS)
    assert [h.doc_id for h in backend.search(SearchQuery(text="reset pin layanan mandiri")).hits][:1] == ["3"]
    assert "was not merged into one segment" in caplog.text


def test_a_build_left_by_a_crashed_reindex_is_dropped_by_the_next(engine_factory: EngineFactory) -> None:
    backend = engine_factory()
    orphan = f"{backend.alias}-v{MAPPING_VERSION}-19990101000000000000"
    backend.client.create_index(orphan, index_body(shards=1, replicas=0, refresh_interval="1s"))
    backend.reindex(CORPUS)
    assert engine_indices(backend) == {backend.index_state(fresh=True).index}


def test_writes_are_searchable_when_they_return_with_the_default_refresh(engine_factory: EngineFactory) -> None:
    backend = engine_factory(refresh="wait_for")
    backend.index([Document("kb", "w", "Sinkronisasi OpenDK gagal", "")])
    assert backend.count() == 1
    assert [h.doc_id for h in backend.search(SearchQuery(text="opendk")).hits] == ["w"]


def test_engine_killed_during_a_reindex_keeps_the_old_index(engine_factory: EngineFactory, proxy: EngineProxy) -> None:
    backend = engine_factory(proxy=proxy)
    backend.reindex(CORPUS)
    before = backend.index_state(fresh=True).index

    def die(n: int) -> None:
        proxy.cut()

    with pytest.raises(EngineUnavailable):
        backend.reindex([Document("kb", "new", "Catatan baru", "")], progress=die)
    proxy.restore()
    backend.breaker.reset()
    assert backend.index_state(fresh=True).index == before
    assert backend.count() == len(CORPUS)
    assert len(engine_indices(backend)) == 2  # the half-built index could not be dropped while the engine was gone
    backend.reindex(CORPUS)
    assert engine_indices(backend) == {backend.index_state(fresh=True).index}


# --- mapping versions ----------------------------------------------------------------------------------


def test_an_index_of_another_mapping_version_is_reported_and_the_database_answers(
    engine_factory: EngineFactory, use_backend: Any
) -> None:
    backend = engine_factory(empty_index=False)
    stale = f"{backend.alias}-v{MAPPING_VERSION - 1}-20250101000000000000"
    body = index_body(shards=1, replicas=0, refresh_interval="1s")
    body["mappings"]["_meta"]["mapping_version"] = MAPPING_VERSION - 1
    backend.client.create_index(stale, body)
    backend.client.update_aliases([{"add": {"index": stale, "alias": backend.alias}}])
    DatabaseBackend().index(CORPUS)

    state = backend.index_state(fresh=True)
    assert not state.ok and f"mapping version {MAPPING_VERSION - 1}" in state.problem
    ping = backend.ping()
    assert ping["status"] == "degraded"
    assert "python manage.py search_reindex" in ping["detail"]
    use_backend(backend)
    with engine_settings(backend):
        warnings = check_engine_mapping()
        assert [w.id for w in warnings] == ["search.W001"]
        assert "search_reindex" in (warnings[0].hint or "")
        assert "search.W001" in [m.id for m in run_checks(tags=["search"])]

    results = backend.search(SearchQuery(text="gagal impor data penduduk"))
    assert results.fallback and results.backend.startswith("database")
    assert results.hits[0].doc_id == "1"
    with pytest.raises(EngineUnavailable, match="search_reindex"):
        backend.index([Document("kb", "x", "Tidak masuk ke indeks lama", "")])

    backend.reindex(CORPUS)
    assert backend.ping()["status"] == "ok"
    assert backend.index_state(fresh=True).version == MAPPING_VERSION
    with engine_settings(backend):
        assert check_engine_mapping() == []
    again = backend.search(SearchQuery(text="gagal impor data penduduk"))
    assert not again.fallback and again.hits[0].doc_id == "1"
    assert stale not in engine_indices(backend)


def test_a_missing_index_is_reported_with_the_fix(engine_factory: EngineFactory) -> None:
    backend = engine_factory(empty_index=False)
    ping = backend.ping()
    assert ping["status"] == "degraded" and "search_reindex" in ping["detail"]
    DatabaseBackend().index(CORPUS)
    assert backend.search(SearchQuery(text="backup database")).fallback


# --- fallback ------------------------------------------------------------------------------------------


def test_search_and_suggest_fall_back_to_the_database_while_the_engine_is_down(
    engine_factory: EngineFactory, proxy: EngineProxy
) -> None:
    backend = engine_factory(proxy=proxy)
    backend.index(CORPUS)
    backend.database.index(CORPUS)
    assert not backend.search(SearchQuery(text="backup database")).fallback

    proxy.cut()
    results = backend.search(SearchQuery(text="gagal impor data penduduk"))
    assert results.fallback and results.backend.startswith("database") and results.hits[0].doc_id == "1"
    suggested = backend.suggest("Waktu saya impor data penduduk dari file excel selalu gagal, mohon bantuan")
    assert suggested.fallback and suggested.hits[0].doc_id == "1"
    ping = backend.ping()
    assert ping["status"] == "down" and ping["fallback"] == "database"

    proxy.restore()
    back = wait_for(lambda: (r := backend.search(SearchQuery(text="backup database"))) and not r.fallback and r,
                    timeout=40, what="the engine to serve searches again")
    assert back.backend == backend.engine and back.hits[0].doc_id == "8"


def test_a_slow_engine_times_out_in_under_two_seconds_and_the_database_answers(
    engine_factory: EngineFactory, proxy: EngineProxy
) -> None:
    backend = engine_factory(proxy=proxy, timeout=2.0)
    backend.index(CORPUS)
    backend.database.index(CORPUS)
    proxy.delay = 10.0
    started = time.monotonic()
    results = backend.search(SearchQuery(text="gagal impor data penduduk"))
    assert time.monotonic() - started < 2.0
    assert results.fallback and results.hits[0].doc_id == "1"
    # The breaker now skips the engine for a while: no request, no wait.
    sent = len(proxy.requests)
    started = time.monotonic()
    suggested = backend.suggest("impor data penduduk dari excel gagal terus")
    assert time.monotonic() - started < 0.5
    assert suggested.fallback and len(proxy.requests) == sent
    proxy.delay = 0.0


def test_the_elasticsearch_client_refuses_opensearch_without_the_adapter(
    engine_factory: EngineFactory, engine_node: SearchConfig
) -> None:
    if engine_node.engine != "opensearch":
        pytest.skip("a check of the OpenSearch node: the elasticsearch client refuses it without the proxy")
    engine_upstream = engine_node.url
    # What the test-only proxy adapts: the real client checks the product on every answer.
    direct = EngineBackend(engine="elasticsearch", url=engine_upstream, prefix=engine_factory().alias)
    ping = direct.ping()
    assert ping["status"] == "down" and "UnsupportedProductError" in ping["error"]
    with pytest.raises(EngineRequestError):
        direct.count()
    DatabaseBackend().index(CORPUS)
    assert direct.search(SearchQuery(text="backup database")).fallback


# --- bad input ------------------------------------------------------------------------------------------

ALLOWED_QUERIES = {"bool", "function_score", "dis_max", "match", "term", "terms", "match_phrase", "multi_match",
                   "more_like_this", "exists", "match_all"}
FORBIDDEN = {"query_string", "simple_query_string", "regexp", "wildcard", "prefix", "fuzzy", "script",
             "script_score", "intervals", "span_multi"}


def _query_types(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("query", "must", "should", "filter", "must_not", "queries", "rescore_query"):
                for child in value if isinstance(value, list) else [value]:
                    if isinstance(child, dict) and "rescore_query" not in child:  # a rescore step, not a query
                        found.update(child)
            _query_types(value, found)
    elif isinstance(node, list):
        for item in node:
            _query_types(item, found)


@pytest.mark.parametrize(
    "text",
    [
        "title:*", '"', "(", "OR OR", "AND NOT NEAR", "\\", "impor*", "body:/.*/", "_id:1 OR doc_type:ticket",
        "{\"query\": {\"match_all\": {}}}", "'; DROP TABLE search_document; --", "😀🙏 impor 🔥", "\x00\x01 impor",
        "{} [] ^ ~ : | & ! @ # $ % = + < >", "a" * 10_000, "impor data " * 1000, "penduduk~2 impor^10 \"data\"~3",
        "|||| impor|penduduk", "surat_ket_kelahiran|*",
    ],
)
def test_user_text_never_reaches_the_engine_as_query_syntax(
    engine_factory: EngineFactory, proxy: EngineProxy, text: str
) -> None:
    backend = engine_factory(proxy=proxy)
    backend.index(CORPUS)
    proxy.requests.clear()
    results = backend.search(SearchQuery(text=text))
    suggested = backend.suggest(text)
    # The engine accepted every request: no error, so no fallback.
    assert not results.fallback and not suggested.fallback
    bodies = [json.loads(body) for method, path, body in proxy.requests if path.split("?")[0].endswith("/_search")]
    for body in bodies:
        found: set[str] = set()
        _query_types(body, found)
        assert not found & FORBIDDEN, found
        assert found <= ALLOWED_QUERIES, found
        assert len(json.dumps(body)) < 60_000  # huge input is capped before it reaches the engine
    for hit in results.hits:
        assert set(TAGS.findall(hit.title_html + hit.snippet)) <= {"<mark>", "</mark>"}


def test_pipe_in_a_query_cannot_inject_alternatives(engine_factory: EngineFactory) -> None:
    # `|` joins alternatives in the pre-analysed field; the analysis never lets it through from user text.
    backend = engine_factory()
    backend.index(CORPUS)
    assert [h.doc_id for h in backend.search(SearchQuery(text="xylofon|backup")).hits][:1] == ["8"]
    assert backend.search(SearchQuery(text="|")).hits == []


def test_a_misspelt_word_costs_a_second_request_only_once(engine_factory: EngineFactory, proxy: EngineProxy) -> None:
    backend = engine_factory(proxy=proxy)
    backend.index(CORPUS)

    def searches(*, counts: bool = False) -> int:
        # The documents per type (which filters go to post_filter) are asked once a minute: a request apart.
        return sum(1 for method, path, body in proxy.requests
                   if path.split("?")[0].endswith("/_search") and (b'"aggs"' in body) == counts)

    proxy.requests.clear()
    assert [h.doc_id for h in backend.search(SearchQuery(text="cara bakcup database")).hits][:1] == ["8"]
    assert searches() == 2  # the suggester found `backup`; the corrected question is asked again
    assert searches(counts=True) == 1
    proxy.requests.clear()
    assert [h.doc_id for h in backend.search(SearchQuery(text="bakcup database lagi")).hits][:1] == ["8"]
    assert searches() == 1  # known for a minute: corrected before the first request
    assert searches(counts=True) == 0  # kept for a minute
    body = json.loads(proxy.requests[-1][2])
    assert "suggest" in body and set(body["suggest"]) == {"m0"}  # only `lagi` was new


def test_suggestions_correct_misspelt_words_as_searches_do(engine_factory: EngineFactory, proxy: EngineProxy) -> None:
    backend = engine_factory(proxy=proxy)
    backend.index(CORPUS)

    def searches() -> int:
        return sum(1 for method, path, body in proxy.requests if path.split("?")[0].endswith("/_search"))

    text = "Mohon bantuan, kehadran perangkat desa tidak tercatat"
    proxy.requests.clear()
    assert [h.doc_id for h in backend.suggest(text).hits][:1] == ["6"]
    assert searches() == 2  # the suggester found `kehadiran`; the corrected text is asked again
    proxy.requests.clear()
    assert [h.doc_id for h in backend.suggest("kehadran perangkat kami").hits][:1] == ["6"]
    assert searches() == 1  # corrected from the cache before the first request
    assert [h.doc_id for h in backend.suggest("kehadran").hits][:1] == ["6"]  # the misspelt word alone


# --- filters that keep most of the index go to post_filter ------------------------------------------------


def recorded_bodies(backend: EngineBackend) -> list[dict[str, Any]]:
    """From now on, the body of every search the backend sends is appended to the list returned (and still sent)."""
    sent: list[dict[str, Any]] = []
    search = backend.client.search

    def record(index: str, body: dict[str, Any], *, timeout: float | None = None) -> dict[str, Any]:
        sent.append(body)
        return search(index, body, timeout=timeout)

    backend.client.search = record  # type: ignore[method-assign]
    return sent


def test_filters_on_the_collected_hits_give_the_same_hits_scores_and_totals(engine_factory: EngineFactory) -> None:
    backend = engine_factory()
    backend.index([
        *CORPUS,
        Document("ticket", "t1", "Gagal impor data penduduk", "Sudah dicoba dua kali."),
        Document("ticket", "p1", "Rahasia: NIK bocor di impor", "Isi tiket privat.", is_public=False,
                 audience=("forum:3",)),
        Document("kb", "p2", "Cara backup database desa", "Menu Database > Backup.", is_public=False,
                 audience=("forum:3",)),
    ])
    queries = [
        SearchQuery(text="impor data penduduk"),
        SearchQuery(text="impor data penduduk", doc_types=("kb",), limit=3, offset=1),
        SearchQuery(text="nik bocor impor", audiences=frozenset({"forum:3"})),
        SearchQuery(text="backup database", doc_types=("kb",), audiences=frozenset({"forum:3"})),
        SearchQuery(text="kehadran perangkat", doc_types=("kb", "ticket")),
        SearchQuery(text="layanan mandiri pin", category="layanan-mandiri"),
    ]
    sent = recorded_bodies(backend)

    def answers(post_filter: bool) -> list[Any]:
        backend.words.clear()
        backend._post_filter = lambda filters, started: post_filter  # type: ignore[method-assign]
        found = []
        for query in queries:
            results = backend.search(query)
            assert not results.fallback
            found.append(([(h.doc_id, h.score) for h in results.hits], results.total, results.total_capped))
        return found

    in_query = answers(False)
    assert not any("post_filter" in body for body in sent)
    sent.clear()
    assert answers(True) == in_query
    assert all("post_filter" in body for body in sent)
    assert in_query[3][0][0][0] == "p2" and "p1" in [doc_id for doc_id, _ in in_query[2][0]]


def test_only_filters_that_keep_a_quarter_of_the_index_go_to_post_filter(engine_factory: EngineFactory) -> None:
    backend = engine_factory()
    tickets = [Document("ticket", f"t{i}", f"Tiket {i} impor penduduk", "Isi tiket.") for i in range(30)]
    backend.index([*CORPUS, *tickets])  # 8 kb entries of 38 documents
    sent = recorded_bodies(backend)

    def post_filtered(query: SearchQuery) -> bool:
        sent.clear()
        assert backend.search(query).hits
        return "post_filter" in sent[-1]

    assert not post_filtered(SearchQuery(text="impor penduduk", doc_types=("kb",)))  # 21 %
    assert post_filtered(SearchQuery(text="impor penduduk", doc_types=("ticket",)))  # 79 %
    assert post_filtered(SearchQuery(text="impor penduduk"))
    assert not post_filtered(SearchQuery(text="impor penduduk", category="kependudukan"))
