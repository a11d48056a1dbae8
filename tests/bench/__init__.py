"""`make bench`: benchmarks with JSON results; never part of `make test`.

Each `tests/bench/workloads_*.py` module offers `bench_*(ctx)` functions that return result dicts:
`{"name", "samples_ms": [...], "baseline": "plain_view"|"db_roundtrip"|None, "baseline_samples_ms": [...]?,
"queries": n?, "extra": {...}?}`. The runner adds median, p95 and the ratio to the baseline measured in the
same run, because absolute times on shared machines are noise.
"""
