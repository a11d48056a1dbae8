"""Elasticsearch and OpenSearch through one seam.

OpenSearch is reached with `opensearch-py`; Elasticsearch with the official `elasticsearch` 8.x client, which
refuses to talk to OpenSearch. Both clients expose the same request methods (`indices`, `search`, `bulk`,
`info`), so the rest of the backend does not care which one it holds.
"""

from __future__ import annotations

from typing import Any


def make_client(engine: str, url: str, *, username: str = "", password: str = "", timeout: float = 2.0) -> Any:
    auth = (username, password) if username else None
    if engine == "opensearch":
        from opensearchpy import OpenSearch

        return OpenSearch(
            hosts=[url], http_auth=auth, timeout=timeout, max_retries=0, retry_on_timeout=False
        )
    if engine == "elasticsearch":
        from elasticsearch import Elasticsearch

        return Elasticsearch(
            hosts=[url], basic_auth=auth, request_timeout=timeout, max_retries=0, retry_on_timeout=False
        )
    raise ValueError(f"unknown search engine {engine!r}")


class EngineBackend:
    def __init__(
        self,
        *,
        engine: str,
        url: str,
        username: str = "",
        password: str = "",
        timeout: float = 2.0,
        prefix: str = "helpdesk",
    ) -> None:
        self.name = engine
        self.engine = engine
        self.url = url
        self.prefix = prefix
        self.client = make_client(engine, url, username=username, password=password, timeout=timeout)

    def ping(self) -> dict[str, Any]:
        try:
            info = self.client.info()
            health = self.client.cluster.health()
        except Exception as exc:
            return {"status": "down", "engine": self.engine, "error": type(exc).__name__}
        version = info.get("version", {})
        return {
            "status": "ok" if health.get("status") in {"green", "yellow"} else "degraded",
            "engine": self.engine,
            "distribution": version.get("distribution", "elasticsearch"),
            "version": version.get("number", ""),
            "cluster": health.get("status"),
        }
