# SID Helpdesk. `make run` starts everything on the embedded default; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000

.PHONY: run test bench cluster-test soak lint typecheck check messages search-eval services services-stop clean distclean lock audit

# Dependencies come from the lock files (exact versions, hashes checked); the project itself is installed
# on top without its dependencies. `make lock` regenerates both after a change to pyproject.toml.
$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

LOCK_FLAGS := --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-find-links

lock: $(VENV)/.installed-dev
	$(VENV)/bin/pip-compile $(LOCK_FLAGS) -o requirements.lock pyproject.toml
	$(VENV)/bin/pip-compile $(LOCK_FLAGS) --extra dev -o requirements-dev.lock pyproject.toml

# Known vulnerabilities in the locked dependencies (needs PyPI's advisory service; see .ci/run).
audit: $(VENV)/.installed-dev
	$(PY) scripts/audit.py requirements-dev.lock

run: $(VENV)/.installed
	@PORT=$(PORT) PY=$(PY) bash scripts/run.sh

test: $(VENV)/.installed-dev
	@PY=$(PY) bash scripts/test.sh

bench: $(VENV)/.installed-dev
	$(PY) -m tests.bench $(BENCH_ARGS)

# The multi-process test on loopback behind nginx (tests/cluster): needs `make services` (PostgreSQL) and
# nginx (both from deploy/services/start-all.sh); CLUSTER_ARGS e.g. --tickets 100. Ends with one line of counts.
cluster-test: $(VENV)/.installed-dev
	$(PY) -m tests.cluster $(CLUSTER_ARGS)

# A mixed load on the cluster test's fleet for SOAK_SECONDS (default 1800): error rate, p95 latencies, memory
# per process and outbox lag over time, in var/soak/*.json and a summary; fails on any error or growing memory.
# Then the long schema fuzz against a live server for SOAK_SECONDS/3 (SOAK_FUZZ_EXAMPLES per operation and role,
# default 200; SOAK_ARGS="--fuzz-seconds 0" leaves it out).
SOAK_SECONDS ?= 1800
soak: $(VENV)/.installed-dev
	SOAK_SECONDS=$(SOAK_SECONDS) $(PY) -m tests.soak $(SOAK_ARGS)

search-eval: $(VENV)/.installed-dev
	$(PY) -m tests.search_eval $(EVAL_ARGS)

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check .

typecheck: $(VENV)/.installed-dev
	$(PY) -m mypy helpdesk bots search

check: lint typecheck test

# Run from the repository root, so that bots/ and search/ are extracted too and the references read
# helpdesk/..., bots/..., search/...; tests, docs and deploy hold no user-facing text of their own.
MESSAGE_IGNORES := --ignore=tests --ignore=docs --ignore=deploy --ignore=scripts --ignore=var --ignore=build
messages: $(VENV)/.installed-dev
	DEBUG=1 $(PY) manage.py makemessages -l id -l en --no-obsolete $(MESSAGE_IGNORES) \
		&& cd helpdesk && DEBUG=1 ../$(PY) ../manage.py compilemessages

services:
	bash deploy/services/start-all.sh

services-stop:
	bash deploy/services/stop.sh

# Build artefacts only. var/ holds the data (SQLite database, uploads, secret key): see distclean.
clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
	find . \( -path ./var -o -path ./.git -o -path ./.services \) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# Also deletes var/ (database, uploads, secret key), only when asked by name: make distclean CONFIRM=var
distclean:
	@if [ "$(CONFIRM)" != "var" ]; then \
		echo "distclean deletes var/ (SQLite database, uploads, secret key). Run: make distclean CONFIRM=var" >&2; \
		exit 1; \
	fi
	$(MAKE) clean
	rm -rf var
