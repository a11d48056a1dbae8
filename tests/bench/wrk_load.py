"""The creation phase of the throughput benchmark driven by Debian's `wrk` (C, one thread) instead of the asyncio
clients of workloads_cluster.py.

On 2 cores the load generator takes its CPU from the server it measures: the Python clients spend about 1.5 ms
of CPU per filing, against about 12 ms for the web process and PostgreSQL together, so a compiled generator leaves
the server about a tenth more CPU. `wrk` sends the same request (`POST /api/v1/tickets/` with an operator's token,
the tokens taken in turn) over `clients` keep-alive connections, and its Lua `done()` prints the count, the
errors and the latency quantiles as one JSON line. deploy/services/wrk.sh installs it; without it (or with
BENCH_LOAD_GENERATOR=python) the Python clients run as before.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

QUANTILES = 1000  # latency quantiles wrk reports: what the benchmark takes as its samples

SCRIPT = """
local tokens = {%(tokens)s}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
function init(args)
  n = 0
end
function request()
  n = n + 1
  local token = tokens[(id + n) %% #tokens + 1]
  local body = '{"title": "Gagal impor data penduduk w' .. id .. '-' .. n ..
    '", "description": "Berhenti di baris 12.", "category": "kependudukan"}'
  return wrk.format("POST", "/api/v1/tickets/",
    {["Authorization"] = "Token " .. token, ["Content-Type"] = "application/json"}, body)
end
function done(summary, latency, requests)
  local q = {}
  for i = 1, %(quantiles)d do
    q[i] = string.format("%%.3f", latency:percentile(100 * (i - 0.5) / %(quantiles)d) / 1000)
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "status_errors": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"timeout": %%d, "quantiles_ms": [%%s]}\\n', summary.requests, summary.duration, e.status, e.connect, e.read,
    e.write, e.timeout, table.concat(q, ", ")))
end
"""


def wrk_path() -> str | None:
    """`wrk` when it drives the creation phase: installed, and not turned off by BENCH_LOAD_GENERATOR=python."""
    if os.environ.get("BENCH_LOAD_GENERATOR", "") == "python":
        return None
    return shutil.which("wrk")


def create(*, wrk: str, base: str, tokens: list[str], seconds: float, clients: int) -> dict[str, Any]:
    """Filings over `clients` connections for `seconds`: the shape of workloads_cluster._load's result, with
    the quantiles as samples, and the CPU wrk spent (user + system, from its rusage)."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        script = Path(tmp) / "create.lua"
        script.write_text(SCRIPT % {"tokens": ", ".join(json.dumps(t) for t in tokens), "quantiles": QUANTILES})
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [wrk, "--threads", "1", "--connections", str(clients), "--duration", f"{max(1, round(seconds))}s",
             "--timeout", "30s", "--script", str(script), base],
            capture_output=True, text=True, timeout=seconds + 60, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(line for line in reversed(done.stdout.splitlines()) if line.startswith("{"))
    report = json.loads(line)
    failed = report["status_errors"] + sum(report[k] for k in ("connect", "read", "write", "timeout"))
    ok = report["requests"] - report["status_errors"]  # a timed-out request is not among the requests
    elapsed = report["duration_us"] / 1e6
    errors = {f"file {k}": report[k] for k in ("status_errors", "connect", "read", "write", "timeout") if report[k]}
    return {
        "samples": [float(q) for q in report["quantiles_ms"]] if ok > 0 else [],
        "elapsed": elapsed, "errors": errors, "counts": {"file": ok}, "created": [],
        "per_second": round(ok / elapsed, 1) if elapsed else 0.0, "requests": report["requests"], "failed": failed,
        "driver": "wrk",
        "load_generator_cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
    }
