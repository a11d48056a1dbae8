"""Engine fixtures: an EngineBackend on the real OpenSearch node (HELPDESK_TEST_SEARCH_URL), under its own
index prefix that is deleted afterwards; optionally reached through `EngineProxy` (faults, or the
Elasticsearch client path)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from helpdesk.settings.env import SearchConfig, search_config
from search import indexing
from search.backends import get_backend, set_backend
from search.backends.engine import EngineBackend
from search.synonyms import invalidate_synonyms
from search.types import Document
from search.vocabulary import invalidate_vocabulary
from tests.search.engine_proxy import EngineProxy

EngineFactory = Callable[..., EngineBackend]


@pytest.fixture
def engine_node(search_url: str) -> SearchConfig:
    """The test node: OpenSearch (what CI starts) or Elasticsearch 8, as HELPDESK_TEST_SEARCH_URL says."""
    return search_config(search_url)


@pytest.fixture
def engine_upstream(engine_node: SearchConfig) -> str:
    return engine_node.url


@pytest.fixture
def engine_factory(engine_node: SearchConfig) -> Iterator[EngineFactory]:
    """`make(kind=None|"opensearch"|"elasticsearch", proxy=None, **options)`: a backend over an empty index.

    `kind` defaults to the test node's own engine, reached directly with its own client. On an OpenSearch node,
    "elasticsearch" goes through an Elasticsearch-compatible EngineProxy (the real `elasticsearch` client); on
    an Elasticsearch node, "opensearch" is skipped (opensearch-py does not speak to Elasticsearch 8).
    Pass `proxy=EngineProxy(...)` to reach the node through a proxy the test can cut or slow down."""
    engine_upstream = engine_node.url
    made: list[tuple[EngineBackend, EngineProxy | None]] = []
    invalidate_synonyms()
    invalidate_vocabulary()

    def make(kind: str | None = None, *, proxy: EngineProxy | None = None, empty_index: bool = True,
             **options: Any) -> EngineBackend:
        kind = kind or engine_node.engine
        if kind == "opensearch" and engine_node.engine == "elasticsearch":
            pytest.skip("opensearch-py does not speak to an Elasticsearch 8 node; this case runs on OpenSearch")
        own_proxy = None
        if proxy is None and kind == "elasticsearch" and engine_node.engine == "opensearch":
            proxy = own_proxy = EngineProxy(engine_upstream, elasticsearch=True).start()
        url = proxy.url if proxy is not None else engine_upstream
        options.setdefault("prefix", f"test-{uuid.uuid4().hex[:12]}")
        options.setdefault("drop_grace_seconds", 0)
        options.setdefault("refresh", True)
        options.setdefault("username", engine_node.username)
        options.setdefault("password", engine_node.password)
        backend = EngineBackend(engine=kind, url=url, **options)
        made.append((backend, own_proxy))
        if empty_index:
            backend.reindex([])
        return backend

    yield make
    for backend, own_proxy in made:
        # Always through a direct client: a test may have cut its proxy.
        EngineBackend(engine=engine_node.engine, url=engine_upstream, username=engine_node.username,
                      password=engine_node.password, prefix=backend.alias).drop_all()
        backend.client.close()
        if own_proxy is not None:
            own_proxy.stop()


@pytest.fixture
def use_backend() -> Iterator[Callable[[Any], None]]:
    """Make `search.get_backend()` answer this backend for the test (sync, the outbox job, /readyz)."""
    before = get_backend()

    def use(backend: Any) -> None:
        set_backend(backend)

    yield use
    set_backend(before)


WORDS = ["impor", "penduduk", "surat", "keluarga", "sinkronisasi", "opendk", "peta", "dusun", "backup", "kehadiran",
         "perangkat", "layanan", "mandiri", "siskeudes", "anggaran", "vaksin", "bantuan", "sosial", "template", "cetak"]


class Store:
    """Stands in for a model table of an upper layer: note id -> title."""

    def __init__(self) -> None:
        self.rows: dict[str, str] = {}
        self.on_load: Any = None

    def load(self, ids: Sequence[str]) -> dict[str, Document | None]:
        if self.on_load is not None:
            self.on_load(ids)
        return {i: Document("note", i, self.rows[i], f"catatan nomor {i}") if i in self.rows else None for i in ids}

    def iterate(self) -> Iterator[Document]:
        for key in sorted(self.rows, key=int):
            yield Document("note", key, self.rows[key], f"catatan nomor {key}")

    def count(self) -> int:
        return len(self.rows)


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Store:
    store = Store()
    monkeypatch.setattr(indexing, "_SOURCES", {})
    indexing.register_source(indexing.Source("note", store.load, store.iterate, store.count))
    return store


def title(i: int) -> str:
    return f"Catatan {WORDS[i % len(WORDS)]} kode{i}x"
