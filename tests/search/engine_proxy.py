"""A small HTTP proxy in front of the test OpenSearch node. TEST-ONLY.

Two uses:

- **Elasticsearch client path** (`elasticsearch=True`). The official `elasticsearch` 8 client refuses any server
  that does not answer `X-Elastic-Product: Elasticsearch`, and sends `application/vnd.elasticsearch+json;
  compatible-with=8` media types that OpenSearch rejects. The proxy rewrites those media types to plain
  `application/json`/`application/x-ndjson` on the way in, adds the product header on the way out, and makes
  `GET /` report an Elasticsearch 8 version. The real client and our code around it then run end to end
  against OpenSearch. What this does *not* test: Elasticsearch's own server behaviour (its analyzers, scoring
  and API differences from OpenSearch); see docs/search.md.
- **Faults.** `cut()` makes the engine vanish (listener closed, open connections reset), `restore()` brings it
  back on the same port; `delay` makes every answer late. Crash and fallback tests use these instead of
  stopping the shared node.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.services import free_port

_COMPAT = re.compile(r"application/vnd\.elasticsearch\+([a-z\-]+)(\s*;\s*compatible-with=\d+)?")
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade",
        "proxy-connection"}
FAKE_ES_VERSION = "8.15.3"


class EngineProxy:
    def __init__(self, upstream: str, *, elasticsearch: bool = False) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 9200
        self.elasticsearch = elasticsearch
        self.port = free_port()
        self.delay = 0.0
        self.requests: list[tuple[str, str, bytes]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._cut = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> EngineProxy:
        proxy = self

        class Handler(_Handler):
            owner = proxy

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._cut.clear()
        self._server = Server(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                         daemon=True, name=f"engine-proxy-{self.port}")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._cut.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            sockets = list(self._sockets)
            self._sockets.clear()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def cut(self) -> None:
        """The engine is gone: new connections are refused and open ones are reset."""
        self.stop()

    def restore(self) -> None:
        """The engine is back, on the same address."""
        self.start()

    def __enter__(self) -> EngineProxy:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- plumbing used by the handler -------------------------------------------------------------------

    def _track(self, sock: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._sockets.add(sock)
            else:
                self._sockets.discard(sock)

    def rewrite_request_header(self, value: str) -> str:
        return _COMPAT.sub(lambda m: f"application/{m.group(1)}", value) if self.elasticsearch else value

    def rewrite_response(self, method: str, path: str, body: bytes) -> bytes:
        if not self.elasticsearch or method != "GET" or urlsplit(path).path not in ("", "/"):
            return body
        info = json.loads(body)
        version = dict(info.get("version", {}))
        version.pop("distribution", None)
        version.update(number=FAKE_ES_VERSION, build_flavor="default", minimum_wire_compatibility_version="7.17.0")
        info.update(version=version, tagline="You Know, for Search")
        return json.dumps(info).encode()


class _Handler(BaseHTTPRequestHandler):
    owner: EngineProxy
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, delayed ACKs add ~40 ms to every answer.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.owner._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.owner._track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _forward(self) -> None:
        owner = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner.requests.append((self.command, self.path, body))
        if owner.delay and owner._cut.wait(owner.delay):
            self.close_connection = True
            return
        headers = {k: owner.rewrite_request_header(v) for k, v in self.headers.items() if k.lower() not in _HOP}
        upstream = http.client.HTTPConnection(owner.upstream_host, owner.upstream_port, timeout=120)
        try:
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            status = response.status
            reply_headers = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP]
        finally:
            upstream.close()
        data = owner.rewrite_response(self.command, self.path, data) if status == 200 else data
        self.send_response(status)
        for key, value in reply_headers:
            self.send_header(key, value)
        if owner.elasticsearch:
            self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(data) if self.command != "HEAD" else 0))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward
