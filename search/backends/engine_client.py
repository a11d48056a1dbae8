"""One small client seam over `opensearch-py` and the official `elasticsearch` 8.x client.

Both libraries expose the same namespaces (`search`, `bulk`, `count`, `info`, `indices`, `cluster`) and accept a
raw request `body`, so the engine backend sends the same requests to either. What differs is how a per-request
timeout is passed and which exception classes they raise; this module hides exactly that, and turns every
failure into one of two exceptions:

- `EngineUnavailable`: the engine cannot answer now (refused, reset, timed out, 5xx, 429, index missing, mapping
  of another version). Searches fall back to the database; outbox jobs retry later.
- `EngineRequestError`: the engine answered that our request is wrong (other 4xx). A bug, logged as such.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

ENGINES = ("opensearch", "elasticsearch")
# Both clients log every request at INFO and every 404 at WARNING (a missing alias is an expected answer here);
# the backend logs what matters itself. A LOGGING setting for these loggers still wins.
for _name in ("opensearch", "elastic_transport.transport"):
    if logging.getLogger(_name).level == logging.NOTSET:
        logging.getLogger(_name).setLevel(logging.ERROR)
ELASTICSEARCH_MAJOR = 8


class EngineError(Exception):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class EngineUnavailable(EngineError):
    pass


class EngineRequestError(EngineError):
    pass


def _status(exc: BaseException) -> int | None:
    for attribute in ("status_code", "status"):
        value = getattr(exc, attribute, None)
        if isinstance(value, int):
            return value
    meta = getattr(exc, "meta", None)
    value = getattr(meta, "status", None)
    return value if isinstance(value, int) else None


def _translate(exc: Exception) -> EngineError:
    status = _status(exc)
    name = type(exc).__name__
    text = str(exc)[:300]
    if status is None or status >= 500 or status in (404, 408, 429):
        # No HTTP status: refused, reset, timed out, TLS, or a server that is not the product we expect.
        return EngineUnavailable(f"{name}: {text}", status=status)
    return EngineRequestError(f"{name}: {text}", status=status)


def _body(response: Any) -> Any:
    """opensearch-py answers plain dicts; elasticsearch 8 answers ApiResponse objects with `.body`."""
    return getattr(response, "body", response)


class EngineClient:
    """The calls the backend makes, identical for both engines. Every method raises only EngineError."""

    def __init__(self, engine: str, raw: Any, *, timeout: float) -> None:
        if engine not in ENGINES:
            raise ValueError(f"unknown search engine {engine!r}")
        self.engine = engine
        self.raw = raw
        self.timeout = timeout

    def _call(self, fn: Callable[[Any, dict[str, Any]], Any], timeout: float | None) -> Any:
        seconds = max(0.05, float(timeout if timeout is not None else self.timeout))
        try:
            if self.engine == "elasticsearch":
                response = fn(self.raw.options(request_timeout=seconds), {})
            else:
                response = fn(self.raw, {"request_timeout": seconds})
        except EngineError:
            raise
        except Exception as exc:
            raise _translate(exc) from exc
        return _body(response)

    # --- cluster ----------------------------------------------------------------------------------------

    def info(self, *, timeout: float | None = None) -> dict[str, Any]:
        return dict(self._call(lambda c, kw: c.info(**kw), timeout))

    def health(self, *, timeout: float | None = None) -> dict[str, Any]:
        return dict(self._call(lambda c, kw: c.cluster.health(**kw), timeout))

    # --- documents --------------------------------------------------------------------------------------

    def search(self, index: str, body: dict[str, Any], *, timeout: float | None = None) -> dict[str, Any]:
        return dict(self._call(lambda c, kw: c.search(index=index, body=body, **kw), timeout))

    def count(self, index: str, body: dict[str, Any], *, timeout: float | None = None) -> int:
        return int(self._call(lambda c, kw: c.count(index=index, body=body, **kw), timeout)["count"])

    def bulk(self, operations: list[dict[str, Any]], *, refresh: str | bool = False,
             timeout: float | None = None) -> dict[str, Any]:
        """Run the actions; raise if any failed (a delete of a missing document is not a failure)."""
        refresh_value = refresh if isinstance(refresh, str) else ("true" if refresh else "false")
        if self.engine == "elasticsearch":
            response = dict(self._call(lambda c, kw: c.bulk(operations=operations, refresh=refresh_value), timeout))
        else:
            response = dict(self._call(lambda c, kw: c.bulk(body=operations, refresh=refresh_value, **kw), timeout))
        if response.get("errors"):
            _raise_for_bulk(response)
        return response

    def reindex_from(self, source: str, dest: str, query: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        body = {"source": {"index": source, "query": query}, "dest": {"index": dest}}
        if self.engine == "elasticsearch":
            return dict(self._call(lambda c, kw: c.reindex(body=body, refresh=True, wait_for_completion=True),
                                   timeout))
        return dict(self._call(lambda c, kw: c.reindex(body=body, refresh=True, wait_for_completion=True, **kw),
                               timeout))

    # --- indices and aliases ----------------------------------------------------------------------------

    def create_index(self, name: str, body: dict[str, Any], *, timeout: float | None = None) -> None:
        self._call(lambda c, kw: c.indices.create(index=name, body=body, **kw), timeout)

    def delete_index(self, name: str, *, timeout: float | None = None) -> None:
        self._call(lambda c, kw: c.indices.delete(index=name, **kw), timeout)

    def indices(self, pattern: str, *, timeout: float | None = None) -> dict[str, dict[str, Any]]:
        """Index name -> {aliases, settings, mappings} for every index matching `pattern` (none: {})."""
        if self.engine == "elasticsearch":
            found = self._call(
                lambda c, kw: c.indices.get(index=pattern, allow_no_indices=True, ignore_unavailable=True,
                                            expand_wildcards="open"),
                timeout,
            )
        else:
            found = self._call(
                lambda c, kw: c.indices.get(index=pattern, allow_no_indices=True, ignore_unavailable=True,
                                            expand_wildcards="open", **kw),
                timeout,
            )
        return {name: dict(value) for name, value in dict(found).items()}

    def alias_targets(self, alias: str, *, timeout: float | None = None) -> list[str]:
        """The indices behind `alias` ([] when the alias does not exist)."""
        try:
            found = self._call(lambda c, kw: c.indices.get_alias(name=alias, **kw), timeout)
        except EngineUnavailable as exc:
            if exc.status == 404:
                return []
            raise
        return sorted(dict(found))

    def update_aliases(self, actions: list[dict[str, Any]], *, timeout: float | None = None) -> None:
        body = {"actions": actions}
        self._call(lambda c, kw: c.indices.update_aliases(body=body, **kw), timeout)

    def put_settings(self, index: str, settings: dict[str, Any], *, timeout: float | None = None) -> None:
        self._call(lambda c, kw: c.indices.put_settings(index=index, body={"index": settings}, **kw), timeout)

    def force_merge(self, index: str, *, segments: int, timeout: float | None = None) -> None:
        self._call(lambda c, kw: c.indices.forcemerge(index=index, max_num_segments=segments, **kw), timeout)

    def refresh(self, index: str, *, timeout: float | None = None) -> None:
        self._call(lambda c, kw: c.indices.refresh(index=index, **kw), timeout)

    def wait_for_index(self, index: str, *, timeout: float) -> dict[str, Any]:
        """Wait until the index's primaries are allocated (yellow), so that the alias swap serves at once."""
        seconds = f"{max(1, int(timeout))}s"
        if self.engine == "elasticsearch":
            return dict(self._call(lambda c, kw: c.cluster.health(index=index, wait_for_status="yellow",
                                                                  timeout=seconds), timeout + 1))
        return dict(self._call(lambda c, kw: c.cluster.health(index=index, wait_for_status="yellow",
                                                              timeout=seconds, **kw), timeout + 1))

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a pool that is already gone
            self.raw.close()


def make_client(engine: str, url: str, *, username: str = "", password: str = "", timeout: float = 2.0) -> EngineClient:
    """A client for `engine` at `url`. No retries inside the client: the outbox retries writes, and a search
    that fails falls back to the database at once instead of waiting for a second attempt."""
    auth = (username, password) if username else None
    if engine == "opensearch":
        from opensearchpy import OpenSearch

        raw: Any = OpenSearch(
            hosts=[url], http_auth=auth, timeout=timeout, max_retries=0, retry_on_timeout=False,
            http_compress=False, pool_maxsize=32,
        )
    elif engine == "elasticsearch":
        from elasticsearch import Elasticsearch

        raw = Elasticsearch(
            hosts=[url], basic_auth=auth, request_timeout=timeout, max_retries=0, retry_on_timeout=False,
            connections_per_node=32,
        )
    else:
        raise ValueError(f"unknown search engine {engine!r}")
    return EngineClient(engine, raw, timeout=timeout)


def _raise_for_bulk(response: dict[str, Any]) -> None:
    failures = []
    for item in response.get("items", []):
        result = next(iter(item.values()))
        status = int(result.get("status", 0))
        if status >= 300 and not (status == 404 and "delete" in item):
            failures.append((status, result.get("_id"), result.get("error")))
    if failures:
        status, key, error = failures[0]
        message = f"{len(failures)} of {len(response.get('items', []))} bulk actions failed; first: {key}: {error}"
        if status >= 500 or status in (404, 429):
            raise EngineUnavailable(message, status=status)
        raise EngineRequestError(message, status=status)
