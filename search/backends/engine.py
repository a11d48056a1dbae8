"""Search on Elasticsearch or OpenSearch, with the database as the fallback.

One backend serves OpenSearch 2/3 (through `opensearch-py`) and Elasticsearch 8 (through the official
`elasticsearch` client, pinned to major 8): the same mapping, analysis and queries, only the client differs
(`engine_client`). Analysis is `search.analysis`, as on the database backends: documents are indexed
pre-analysed (`engine_mapping`) and queries are built from the same query plan (`engine_query`), so synonyms,
identifiers and stemming match the same words everywhere.

Indices live behind an alias (`SEARCH_INDEX_PREFIX`, default `helpdesk`): `reindex` builds a new versioned
index `<alias>-v<mapping version>-<timestamp>`, fills it, swaps the alias atomically and drops the old index.

When the engine cannot answer (down, slow, index missing, mapping of another version), `search` and `suggest`
answer from the database backend, whose index `search.indexing` keeps up to date in every transaction, and the
results say so (`fallback=True`). A failed engine is skipped for a short, growing while (a circuit breaker),
so a dead engine costs one failed request every few seconds, not one per search.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .. import fallbacks
from ..analysis import QueryPlan, plan_query
from ..synonyms import current_synonyms
from ..types import MAX_QUERY_CHARS, MAX_QUERY_TERMS, Document, SearchQuery, SearchResults
from .base import SUGGEST_LIMIT, SearchBackend, chunks
from .engine_client import (
    ELASTICSEARCH_MAJOR,
    EngineClient,
    EngineError,
    EngineRequestError,
    EngineUnavailable,
    make_client,
)
from .engine_mapping import MAPPING_VERSION, doc_key, index_body, to_source
from .engine_query import (
    POST_FILTER_SHARE,
    Filters,
    SuggesterVocabulary,
    WordCache,
    broad_filters,
    filter_share,
    read_results,
    read_suggestions,
    search_body,
    suggest_body,
    suggester,
    typo_candidates,
)
from .engine_state import REINDEX_COMMAND, Breaker, DocCounts, IndexState, read_state

log = logging.getLogger(__name__)

BATCH = 500
# A million entries merge in about 6 s here (docs/search.md).
MERGE_TIMEOUT_SECONDS = 600.0
# The share of SEARCH_TIMEOUT_SECONDS the engine may use; the rest is for the database fallback, so that a slow
# engine still gives an answer within SEARCH_TIMEOUT_SECONDS.
ENGINE_SHARE = 0.75
STATE_TTL_SECONDS = 30.0

__all__ = ["ELASTICSEARCH_MAJOR", "EngineBackend", "EngineError", "EngineUnavailable", "make_client"]


class EngineBackend:
    """Elasticsearch or OpenSearch behind an alias, falling back to the database backend."""

    def __init__(
        self,
        *,
        engine: str,
        url: str = "",
        username: str = "",
        password: str = "",
        timeout: float = 2.0,
        prefix: str = "helpdesk",
        shards: int = 1,
        replicas: int = 0,
        refresh: str | bool = "wait_for",
        refresh_interval: str = "1s",
        write_timeout: float = 30.0,
        drop_grace_seconds: float | None = None,
        database: SearchBackend | None = None,
        client: EngineClient | None = None,
    ) -> None:
        self.name = engine
        self.engine = engine
        self.url = url
        self.alias = prefix
        self.timeout = float(timeout)
        self.shards = shards
        self.replicas = replicas
        self.refresh = refresh
        self.refresh_interval = refresh_interval
        self.write_timeout = write_timeout
        # Searches that resolved the alias just before a swap may still read the old index for up to a search
        # timeout: drop it only after that.
        self.drop_grace_seconds = self.timeout if drop_grace_seconds is None else drop_grace_seconds
        self.client = client or make_client(engine, url, username=username, password=password, timeout=timeout)
        self._database = database
        self.breaker = Breaker()
        self.words = WordCache()
        self._state: tuple[float, IndexState] | None = None
        self._counts = DocCounts()
        self._server: dict[str, str] = {}

    # --- plumbing ---------------------------------------------------------------------------------------

    @property
    def database(self) -> SearchBackend:
        """The fallback, and the index `search.indexing` keeps up to date in every transaction."""
        if self._database is None:
            from .database import DatabaseBackend

            self._database = DatabaseBackend()
        return self._database

    @property
    def search_budget(self) -> float:
        return self.timeout * ENGINE_SHARE

    def index_state(self, *, fresh: bool = False, timeout: float | None = None) -> IndexState:
        cached = self._state
        if not fresh and cached is not None and time.monotonic() - cached[0] < STATE_TTL_SECONDS:
            return cached[1]
        found = self.client.indices(self.alias, timeout=timeout)
        state = read_state(self.alias, found)
        self._state = (time.monotonic(), state)
        if not state.ok:
            log.warning("search engine index %s: %s", self.alias, state.problem)
        return state

    def forget_state(self) -> None:
        self._state = None
        self._counts.forget()

    def _post_filter(self, filters: Filters, started: float) -> bool:
        """Whether the filters keep enough of the index to be applied to the collected hits (same results)."""
        if not broad_filters(filters):
            return False
        counts = self._counts.get(self.client, self.alias, timeout=min(0.5, self._remaining(started)))
        return counts is not None and filter_share(filters, *counts) >= POST_FILTER_SHARE

    def _usable(self) -> str:
        """'' when searches may go to the engine, else why not."""
        if not self.breaker.allows():
            return f"engine unavailable: {self.breaker.last_error}"
        try:
            state = self.index_state(timeout=min(1.0, self.search_budget))
        except EngineError as exc:
            self.breaker.failure(str(exc))
            return f"engine unavailable: {exc}"
        return state.problem

    def _write_target(self) -> str:
        state = self.index_state(timeout=min(2.0, self.write_timeout))
        if not state.ok:
            # Writes wait (the outbox retries) until search_reindex has built an index of this version.
            self.forget_state()
            raise EngineUnavailable(state.problem)
        return self.alias

    def ping(self) -> dict[str, Any]:
        started = time.monotonic()

        def left() -> float:
            return max(0.2, 2.0 - (time.monotonic() - started))

        out: dict[str, Any] = {"engine": self.engine, "alias": self.alias, "fallback": "database"}
        try:
            if not self._server:
                info = self.client.info(timeout=left())
                version = info.get("version", {})
                self._server = {"distribution": str(version.get("distribution", "elasticsearch")),
                                "version": str(version.get("number", ""))}
            out.update(self._server)
            health = self.client.health(timeout=left())
            state = self.index_state(fresh=True, timeout=left())
            out.update(cluster=health.get("status"), **state.as_dict())
            if state.ok:
                out["documents"] = self.client.count(self.alias, {"query": {"match_all": {}}}, timeout=left())
        except EngineError as exc:
            return {**out, "status": "down", "error": str(exc)[:200]}
        if not state.ok:
            return {**out, "status": "degraded", "detail": state.problem}
        unsupported = self._unsupported_version()
        if unsupported:
            return {**out, "status": "degraded", "detail": unsupported}
        if health.get("status") not in {"green", "yellow"}:
            return {**out, "status": "degraded", "detail": f"cluster status {health.get('status')}"}
        self.breaker.success()
        return {**out, "status": "ok"}

    def _unsupported_version(self) -> str:
        """OpenSearch 2 and 3 are tested; Elasticsearch through the `elasticsearch` client, pinned to major 8."""
        number = self._server.get("version", "")
        major = int(number.split(".")[0]) if number.split(".")[0].isdigit() else 0
        if self.engine == "opensearch" and major and major < 2:
            return f"OpenSearch {number}: versions 2 and 3 are supported"
        if self.engine == "elasticsearch" and major and major < ELASTICSEARCH_MAJOR:
            return f"Elasticsearch {number}: the client is pinned to major {ELASTICSEARCH_MAJOR} (8.x servers)"
        return ""

    def count(self, doc_type: str | None = None) -> int:
        query: dict[str, Any] = {"term": {"doc_type": doc_type}} if doc_type else {"match_all": {}}
        return self.client.count(self.alias, {"query": query}, timeout=self.write_timeout)

    # --- writing ----------------------------------------------------------------------------------------

    def index(self, docs: Sequence[Document]) -> None:
        latest = {(d.doc_type, d.doc_id): d for d in docs}
        if not latest:
            return
        target = self._write_target()
        for chunk in chunks(latest.values(), BATCH):
            operations: list[dict[str, Any]] = []
            for doc in chunk:
                operations.append({"index": {"_index": target, "_id": doc_key(doc.doc_type, doc.doc_id)}})
                operations.append(to_source(doc))
            self._bulk(operations)
        self.words.clear()  # as the database backend drops its vocabulary after its own writes

    def delete(self, doc_type: str, ids: Iterable[str]) -> int:
        keys = list(dict.fromkeys(str(i) for i in ids))
        if not keys:
            return 0
        target = self._write_target()
        removed = 0
        for chunk in chunks(keys, BATCH):
            operations = [{"delete": {"_index": target, "_id": doc_key(doc_type, key)}} for key in chunk]
            response = self._bulk(operations)
            removed += sum(1 for item in response.get("items", []) if item.get("delete", {}).get("result") == "deleted")
        self.words.clear()
        return removed

    def _bulk(self, operations: list[dict[str, Any]], *, refresh: str | bool | None = None) -> dict[str, Any]:
        return self.client.bulk(operations, refresh=self.refresh if refresh is None else refresh,
                                timeout=self.write_timeout)

    def reindex(
        self,
        docs: Iterable[Document],
        *,
        progress: Callable[[int], None] | None = None,
        doc_types: tuple[str, ...] | None = None,
    ) -> int:
        """Build a new index of this mapping version, fill it, swap the alias, drop the old index."""
        started_ms = int(time.time() * 1000)
        old = self.client.alias_targets(self.alias, timeout=self.write_timeout)
        new = f"{self.alias}-v{MAPPING_VERSION}-{datetime.now(UTC).strftime('%Y%m%d%H%M%S%f')}"
        self.client.create_index(new, index_body(shards=self.shards, replicas=0, refresh_interval="-1"),
                                 timeout=self.write_timeout)
        total = 0
        try:
            if doc_types is not None and old:
                self._copy_other_types(old, new, doc_types)
            seen: set[tuple[str, str]] = set()
            for chunk in chunks(docs, BATCH):
                operations: list[dict[str, Any]] = []
                for doc in chunk:
                    if doc_types is not None and doc.doc_type not in doc_types:
                        raise ValueError(f"reindex of {doc_types} got a {doc.doc_type!r} document")
                    key = (doc.doc_type, doc.doc_id)
                    if key in seen:
                        raise ValueError(f"reindex got {doc.doc_type}:{doc.doc_id} twice")
                    seen.add(key)
                    operations.append({"index": {"_index": new, "_id": doc_key(*key)}})
                    operations.append(to_source(doc))
                self._bulk(operations, refresh=False)
                total += len(chunk)
                if progress is not None:
                    progress(total)
            self._merge(new)
            self.client.put_settings(new, {"number_of_replicas": self.replicas,
                                           "refresh_interval": self.refresh_interval}, timeout=self.write_timeout)
            self.client.refresh(new, timeout=self.write_timeout)
            self.client.wait_for_index(new, timeout=max(self.write_timeout, 30.0))
            actions: list[dict[str, Any]] = [{"remove": {"index": o, "alias": self.alias}} for o in old]
            actions.append({"add": {"index": new, "alias": self.alias}})
            self.client.update_aliases(actions, timeout=self.write_timeout)
        except BaseException:
            try:
                self.client.delete_index(new, timeout=self.write_timeout)
            except EngineError:
                log.warning("could not drop the half-built index %s", new)
            raise
        self.forget_state()
        self.words.clear()
        self.breaker.reset()
        self._drop_old(new, old, started_ms)
        return total

    def _merge(self, index: str) -> None:
        """The new index into one segment per shard before it serves (and before its replicas copy it): a search
        then looks each word up once, not once per segment (docs/search.md, about a quarter of a search's time
        at a million entries). Only an optimisation: if the engine does not finish in time, the index serves
        as it is and the engine goes on merging."""
        try:
            self.client.force_merge(index, segments=1, timeout=max(self.write_timeout, MERGE_TIMEOUT_SECONDS))
        except EngineError as exc:
            log.warning("the new index %s was not merged into one segment (%s); it serves as it is", index, exc)

    def _copy_other_types(self, old: list[str], new: str, doc_types: tuple[str, ...]) -> None:
        found = self.client.indices(self.alias, timeout=self.write_timeout)
        state = read_state(self.alias, found)
        if not state.ok:
            raise EngineRequestError(
                f"{state.problem}: the other document types cannot be copied from it; run a full reindex "
                f"({REINDEX_COMMAND} without --type)"
            )
        self.client.reindex_from(old[0], new, {"bool": {"must_not": [{"terms": {"doc_type": list(doc_types)}}]}},
                                 timeout=max(self.write_timeout, 3600.0))

    def _drop_old(self, new: str, old: list[str], started_ms: int) -> None:
        if self.drop_grace_seconds > 0:
            time.sleep(self.drop_grace_seconds)
        try:
            found = self.client.indices(f"{self.alias}-v*", timeout=self.write_timeout)
        except EngineError as exc:
            log.warning("old search indices not dropped: %s", exc)
            return
        for name, data in found.items():
            if name == new or self.alias in (data.get("aliases") or {}):
                continue
            created = int((data.get("settings") or {}).get("index", {}).get("creation_date", 0) or 0)
            # The indices we swapped out, and builds left behind by a crashed reindex; never another reindex
            # that started after us.
            if name in old or created < started_ms:
                try:
                    self.client.delete_index(name, timeout=self.write_timeout)
                except EngineError as exc:
                    log.warning("old search index %s not dropped: %s", name, exc)

    def drop_all(self) -> None:
        """Delete the alias's indices (tests, benchmarks)."""
        found = self.client.indices(f"{self.alias}-v*", timeout=self.write_timeout)
        for name in found:
            self.client.delete_index(name, timeout=self.write_timeout)
        self.forget_state()

    # --- reading ----------------------------------------------------------------------------------------

    def _plan(self, text: str, vocabulary: Any = None) -> QueryPlan:
        return plan_query(text, synonyms=current_synonyms(), vocabulary=vocabulary,
                          max_concepts=MAX_QUERY_TERMS, max_chars=MAX_QUERY_CHARS)

    def search(self, query: SearchQuery) -> SearchResults:
        started = time.perf_counter()
        plan = self._plan(query.text)
        if not plan:
            return SearchResults(hits=[], total=0, backend=self.engine)
        problem = self._usable()
        if problem:
            return self._fallback(lambda: self.database.search(query), problem, started)
        try:
            results = self._search(query, plan, started)
        except Exception as exc:
            self._failed(exc)
            return self._fallback(lambda: self.database.search(query), str(exc), started)
        self.breaker.success()
        return results

    def _filters(self, query: SearchQuery) -> Filters:
        return Filters(doc_types=query.doc_types, category=query.category, region=query.region,
                       version=query.normalized_version, audiences=query.audiences)

    def _remaining(self, started: float) -> float:
        left = self.search_budget - (time.perf_counter() - started)
        if left <= 0.05:
            raise EngineUnavailable(f"no answer within {self.search_budget:.2f} s")
        return left

    def _search(self, query: SearchQuery, plan: QueryPlan, started: float) -> SearchResults:
        filters = self._filters(query)
        budget_ms = int(self.search_budget * 1000)
        post_filter = self._post_filter(filters, started)

        def build(plan: QueryPlan, suggest: dict[str, Any] | None) -> dict[str, Any] | None:
            return search_body(plan, filters, limit=query.limit, offset=query.offset, timeout_ms=budget_ms,
                               suggest=suggest, post_filter=post_filter)

        response, plan = self._ask_correcting(plan, started, lambda v: self._plan(query.text, v), build)
        if response is None:
            return SearchResults(hits=[], total=0, backend=self.engine, terms=tuple(plan.terms))
        return self._results(response, plan, started)

    def _ask_correcting(
        self,
        plan: QueryPlan,
        started: float,
        replan: Callable[[SuggesterVocabulary], QueryPlan],
        build: Callable[[QueryPlan, dict[str, Any] | None], dict[str, Any] | None],
    ) -> tuple[dict[str, Any] | None, QueryPlan]:
        """One request, or two when the text holds a word not seen for a minute that turns out misspelt: the
        first carries the term suggester for the words not in the cache, the second the corrected plan."""
        words = typo_candidates(plan)
        known = {w: e for w in words if (e := self.words.get(w)) is not None}
        fresh = [w for w in words if w not in known]
        if known and SuggesterVocabulary(known).has_corrections:
            plan = replan(SuggesterVocabulary(known))
        body = build(plan, suggester(fresh) if fresh else None)
        if body is None:
            return None, plan
        response = self.client.search(self.alias, body, timeout=self._remaining(started))
        if fresh:
            learned = read_suggestions(fresh, response.get("suggest") or {})
            self.words.put(learned)
            if SuggesterVocabulary(learned).has_corrections:
                corrected = replan(SuggesterVocabulary({**known, **learned}))
                if corrected.terms != plan.terms:
                    plan = corrected
                    body = build(plan, None)
                    if body is not None:
                        response = self.client.search(self.alias, body, timeout=self._remaining(started))
        return response, plan

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
        plan = self.suggest_plan(text)
        if not plan:
            return SearchResults(hits=[], total=0, backend=self.engine)

        def fallback() -> SearchResults:
            return self.database.suggest(text, limit=limit, doc_types=doc_types, audiences=audiences)

        problem = self._usable()
        if problem:
            return self._fallback(fallback, problem, started)
        try:
            results = self._suggest(text, plan, started, limit=limit, doc_types=doc_types, audiences=audiences)
        except Exception as exc:
            self._failed(exc)
            return self._fallback(fallback, str(exc), started)
        self.breaker.success()
        return results

    def _suggest(self, text: str, plan: QueryPlan, started: float, *, limit: int, doc_types: tuple[str, ...],
                 audiences: frozenset[str]) -> SearchResults:
        def build(plan: QueryPlan, suggest: dict[str, Any] | None) -> dict[str, Any]:
            body = self.suggest_request(plan, limit=limit, doc_types=doc_types, audiences=audiences)
            return {**body, "suggest": suggest} if suggest else body

        response, plan = self._ask_correcting(plan, started, lambda v: self.suggest_plan(text, v), build)
        return self._results(response or {}, plan, started, count_total=False)

    def suggest_plan(self, text: str, vocabulary: Any = None) -> QueryPlan:
        return plan_query(text, synonyms=current_synonyms(), vocabulary=vocabulary, max_concepts=64, max_chars=4000,
                          typo_variants=False)

    def suggest_request(self, plan: QueryPlan, *, limit: int = SUGGEST_LIMIT, doc_types: tuple[str, ...] = ("kb",),
                        audiences: frozenset[str] = frozenset()) -> dict[str, Any]:
        like = " ".join("|".join(c.terms) for c in plan.concepts if c.terms)
        minimum = min(2, len(plan.concepts))  # one shared word of several is chatter, not a similar problem
        return suggest_body(like, Filters(doc_types=doc_types, audiences=audiences), limit=limit, minimum=minimum,
                            timeout_ms=int(self.search_budget * 1000),
                            concepts=[c.terms for c in plan.concepts if c.terms])

    def _failed(self, exc: Exception) -> None:
        self.breaker.failure(f"{type(exc).__name__}: {str(exc)[:200]}")
        if isinstance(exc, EngineUnavailable):
            log.warning("search engine unavailable, answering from the database: %s", exc)
            if exc.status == 404:
                self.forget_state()
        else:
            log.exception("search engine request failed, answering from the database")

    def _results(self, response: dict[str, Any], plan: QueryPlan, started: float, *,
                 count_total: bool = True) -> SearchResults:
        took = (time.perf_counter() - started) * 1000
        return read_results(response, plan, backend=self.engine, took_ms=took, count_total=count_total)

    def _fallback(self, run: Callable[[], SearchResults], reason: str, started: float) -> SearchResults:
        results = run()
        took = (time.perf_counter() - started) * 1000
        log.info("search answered by %s instead of %s: %s", results.backend, self.engine, reason[:200])
        fallbacks.record(self.engine, reason)
        return replace(results, fallback=True, took_ms=round(took, 2))
