"""The benchmark's wrk driver (tests/bench/wrk_load.py) against a small HTTP server of its own on 127.0.0.1: it
sends the filing request with the operators' tokens in turn, counts what was answered 201 and what was not, and
returns the latency quantiles and its own CPU."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.bench import wrk_load

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (deploy/services/nginx.sh)")


class _Filings(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str, dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        token = self.headers.get("Authorization", "")
        self.seen.append((self.path, token, body))
        status = 201 if token != "Token t-refused" else 403
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


def test_wrk_files_with_every_token_and_counts_only_the_created(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_LOAD_GENERATOR", raising=False)
    wrk = wrk_load.wrk_path()
    assert wrk is not None
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Filings)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Filings.seen = []
    try:
        run = wrk_load.create(wrk=wrk, base=f"http://127.0.0.1:{server.server_port}",
                              tokens=["t-a", "t-b", "t-refused"], seconds=1, clients=2)
    finally:
        server.shutdown()
        server.server_close()
    seen = _Filings.seen
    assert {path for path, _, _ in seen} == {"/api/v1/tickets/"}
    assert {token for _, token, _ in seen} == {"Token t-a", "Token t-b", "Token t-refused"}
    assert all(body["category"] == "kependudukan" and body["title"].startswith("Gagal impor") for _, _, body in seen)
    refused = sum(1 for _, token, _ in seen if token == "Token t-refused")
    created = len(seen) - refused
    # What the server answered as wrk stopped (at most one request per connection) is not in wrk's counts.
    assert run["driver"] == "wrk" and refused > 0 and created > 0
    assert created - 2 <= run["counts"]["file"] <= created
    assert refused - 2 <= run["errors"]["file status_errors"] <= refused
    assert len(run["samples"]) == wrk_load.QUANTILES and run["samples"] == sorted(run["samples"])
    assert run["per_second"] == round(run["counts"]["file"] / run["elapsed"], 1)
    assert 0 <= run["load_generator_cpu_s"] < 5


def test_python_clients_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_LOAD_GENERATOR", "python")
    assert wrk_load.wrk_path() is None
