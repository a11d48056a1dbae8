"""CPU and SQL per ticket filing, in one process, without a web server or a load generator competing for the CPU.

    python -m tests.bench.filing_cpu [--filings 300] [--batches 3] [--profile FILE] [--top 40]

Builds the throughput benchmark's world (tests/cluster/stack.py: a fresh PostgreSQL database from
HELPDESK_TEST_POSTGRES_URL, Redis, 16 operators, 8 volunteers of ForSID NTB), then files tickets through the
project's WSGI application with the same request the benchmark's load generator sends (`POST /api/v1/tickets/`
with a token), every middleware included. Reports, per filing and per batch: this process's CPU time
(`time.process_time`), the PostgreSQL backend's CPU time (from /proc, persistent connection), and the SQL
statements. CPU time does not depend on what else the machine runs, so the figures compare across runs on a
busy machine; successive batches show whether a filing gets dearer as the tables grow. `--profile` runs one
more batch under cProfile (CPU time), writes its statistics and prints the top functions; `--sql` prints the
statements of one filing.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def _backend_cpu(pid: int) -> float:
    """User + system CPU seconds of a PostgreSQL backend (0 when it is not readable: another machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _request(app: Any, method: str, path: str, *, body: dict[str, Any] | None = None,
             token: str = "") -> tuple[int, bytes]:
    raw = json.dumps(body).encode() if body is not None else b""
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_FORWARDED_FOR": "127.0.0.1", "HTTP_X_FORWARDED_PROTO": "http", "HTTP_ACCEPT": "*/*",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(raw)),
        "wsgi.input": io.BytesIO(raw), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False, "wsgi.version": (1, 0),
    }
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Token {token}"
    status: list[str] = []
    result = app(environ, lambda s, headers, exc_info=None: status.append(s))
    try:
        content = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    return int(status[0].split()[0]), content


def run(*, filings: int, batches: int, profile: str, top: int, verbose: bool) -> list[dict[str, Any]]:
    from tests.cluster.stack import PASSWORD, Stack

    stack = Stack(web=0, workers=0, search_nodes=0, telegram=False)
    try:
        stack.create_database()
        stack.start_redis()
        stack.prepare_app(operators=16, volunteers=8, kb_entries=20)
        os.environ.update({**stack.app_env(), "DATABASE_CONN_MAX_AGE": "600"})
        import django

        django.setup()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from helpdesk.wsgi import application

        tokens = []
        for username in stack.world["operators"]:
            code, content = _request(application, "POST", "/api/v1/auth/token/",
                                     body={"username": username, "password": PASSWORD})
            assert code == 200, content
            tokens.append(json.loads(content)["token"])

        def file(n: int) -> None:
            code, content = _request(application, "POST", "/api/v1/tickets/", token=tokens[n % len(tokens)], body={
                "title": f"Gagal impor data penduduk {n}", "description": "Berhenti di baris 12.",
                "category": "kependudukan"})
            assert code == 201, content

        for n in range(20):  # warm-up: imports, caches, the connection
            file(n)
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        results: list[dict[str, Any]] = []
        for batch in range(batches + (1 if profile else 0)):
            profiler = None
            if batch == batches:  # the profiled batch: not measured (the profiler's own CPU would count)
                import cProfile

                profiler = cProfile.Profile(time.process_time)
                profiler.enable()
                for n in range(filings):
                    file(1000 + batch * filings + n)
                profiler.disable()
                profiler.dump_stats(profile)
                import pstats

                for key in ("cumulative", "tottime"):
                    pstats.Stats(profiler, stream=sys.stderr).sort_stats(key).print_stats(top)
                break
            connection.queries_log.clear()  # a bounded deque: a full one would hide this batch's statements
            with CaptureQueriesContext(connection) as queries:
                cpu, db_cpu, wall = time.process_time(), _backend_cpu(backend), time.perf_counter()
                for n in range(filings):
                    file(1000 + batch * filings + n)
                cpu, db_cpu = time.process_time() - cpu, _backend_cpu(backend) - db_cpu
                wall = time.perf_counter() - wall
            kinds: dict[str, int] = {}
            for q in queries.captured_queries:
                word = q["sql"].split(None, 1)[0].upper()
                kinds[word] = kinds.get(word, 0) + 1
            results.append({
                "batch": batch + 1, "filings": filings, "web_cpu_ms": round(cpu * 1000 / filings, 2),
                "db_backend_cpu_ms": round(db_cpu * 1000 / filings, 2), "wall_ms": round(wall * 1000 / filings, 2),
                "queries": round(len(queries.captured_queries) / filings, 2),
                "statements": {k: round(v / filings, 2) for k, v in sorted(kinds.items())},
            })
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
        if verbose:
            per_filing = len(queries.captured_queries) // filings
            for q in queries.captured_queries[-per_filing:]:
                print(f"  {q['sql'][:300]}", file=sys.stderr)
        connection.close()
        return results
    finally:
        stack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.filing_cpu")
    parser.add_argument("--filings", type=int, default=300, help="filings per batch")
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--profile", default="", help="write cProfile statistics of the last batch here")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sql", action="store_true", help="print the statements of the last filing")
    args = parser.parse_args()
    if not os.environ.get("HELPDESK_TEST_POSTGRES_URL"):
        print("HELPDESK_TEST_POSTGRES_URL is not set (make services; source .services/env)", file=sys.stderr)
        return 2
    results = run(filings=args.filings, batches=args.batches, profile=args.profile, top=args.top, verbose=args.sql)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
