"""The fault tests' stack: the cluster test's orchestration (tests/cluster/stack.py) on a PostgreSQL cluster of
their own, so that it can be stopped and started without touching the shared one, and with one web process and
one worker by default. Counts are recorded in var/faults/<name>.json for the closing note of issue 16."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.cluster.procs import free_ports, run
from tests.cluster.stack import PASSWORD, ROOT, Stack

SERVICES = ROOT / "deploy" / "services"
PG_BIN = Path(os.environ.get("HELPDESK_PG_BIN", "/usr/lib/postgresql/15/bin"))
RESULTS = ROOT / "var" / "faults"
TEMPLATE = "helpdesk_faults_template"


class PrivatePostgres:
    """A PostgreSQL cluster started by deploy/services/postgres.sh in a state dir of its own, on a free port."""

    def __init__(self) -> None:
        self.state = Path(tempfile.mkdtemp(prefix="helpdesk-faults-pg-"))
        self.port = free_ports(1)[0]
        self.env = {**os.environ, "HELPDESK_SERVICES_DIR": str(self.state), "HELPDESK_PG_PORT": str(self.port)}
        self.url = f"postgres://helpdesk:helpdesk@127.0.0.1:{self.port}/helpdesk"

    def _script(self, name: str) -> None:
        done = subprocess.run(["bash", str(SERVICES / name)], env=self.env, capture_output=True, text=True,
                              timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{name} failed: {done.stderr[-2000:]}")

    def start(self) -> None:
        self._script("postgres.sh")

    def stop(self) -> None:
        """pg_ctl stop -m fast (through stop.sh, which only knows this state dir): every connection is cut."""
        self._script("stop.sh")

    def prepare_template(self) -> None:
        """Migrate once into a template database and collect static files once; every stack copies the
        template (CREATE DATABASE ... TEMPLATE), which takes a second where migrating takes many."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
        stack = FaultStack(self)
        try:
            stack.database_url = self.url.rsplit("/", 1)[0] + f"/{TEMPLATE}"
            stack.manage("migrate", "--noinput")
            stack.manage("createcachetable")
            stack.manage("collectstatic", "--noinput", "--verbosity", "0")
        finally:
            stack.db_created = False  # the template stays for the session
            stack.stop()

    @property
    def static_root(self) -> Path:
        return self.state / "static"

    def destroy(self) -> None:
        try:
            self.stop()
        finally:
            location = self.state / "postgres.location"
            if location.exists():  # postgres.sh fell back to /var/tmp (the state dir is 0700)
                shutil.rmtree(Path(location.read_text().strip()).parent, ignore_errors=True)
            shutil.rmtree(self.state, ignore_errors=True)


class FaultStack(Stack):
    """tests.cluster.stack.Stack on `pg`, without search; `web` and `workers` processes started by `start()`."""

    def __init__(self, pg: PrivatePostgres, *, telegram: bool = False, media_root: Path | None = None) -> None:
        super().__init__(web=1, workers=1, search_nodes=0, telegram=telegram, admin_url=pg.url)
        self.pg = pg
        self.media_root = media_root or self.tmp / "media"
        self.base = f"http://127.0.0.1:{self.web_ports[0]}"

    def app_env(self) -> dict[str, str]:
        env = super().app_env()
        env.update(DJANGO_SETTINGS_MODULE="tests.faults.settings", MEDIA_ROOT=str(self.media_root),
                   STATIC_ROOT=str(self.pg.static_root),
                   CSRF_TRUSTED_ORIGINS=self.base, SITE_URL=self.base, BEHIND_PROXY="0", ATTACHMENTS_X_ACCEL="0",
                   LOG_LEVEL=os.environ.get("FAULTS_LOG_LEVEL", "WARNING"))
        return env

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}" TEMPLATE "{TEMPLATE}"')
        self.db_created = True

    def prepare_app(self, *, operators: int, volunteers: int, kb_entries: int = 0) -> None:
        """The cluster test's world (tests/cluster/setup_world.py) in a copy of the migrated template."""
        spec = {"group": self.group or -1, "volunteers": self.volunteer_tg or list(range(1, volunteers + 1)),
                "operators": operators, "password": PASSWORD}
        out = run([sys.executable, "-m", "tests.cluster.setup_world", json.dumps(spec)], env=self.app_env(),
                  cwd=ROOT, log=self.logs / "manage.log", timeout=300)
        self.world = json.loads(out.strip().splitlines()[-1])

    def up(self, *, operators: int = 4, volunteers: int = 2) -> None:
        self.create_database()
        self.start_redis()
        if self.telegram:
            self.start_fake()
            self.prepare_telegram(volunteers)
        self.prepare_app(operators=operators, volunteers=volunteers)
        self.web(0)
        self.worker(0)
        if self.telegram:
            self.proc("bridge", [sys.executable, "manage.py", "telegram_bridge", "--poll-timeout", "2", "--wait", "1"])
        from tests.cluster.procs import wait_for

        wait_for(lambda: self.web_healthy(0), 90, "the web process")

    def pg_running(self) -> bool:
        from tests.cluster.procs import port_open

        return port_open(self.pg.port)

    def wait_outbox_drained(self, timeout: float) -> None:
        """Until no outbox job is pending or running (a parked one ends the wait: the test then fails on it). A
        worker that died is started again, as systemd would (Restart=always); its starts are counted."""
        from tests.cluster.procs import wait_for

        def drained() -> bool:
            for name, proc in self.procs.items():
                if name.startswith("worker") and not proc.alive():
                    proc.start()
            return not self.sql("SELECT 1 FROM core_outboxjob WHERE status IN ('pending', 'running') LIMIT 1")

        wait_for(drained, timeout, "the outbox to drain", 0.3)

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return list(conn.execute(query, params).fetchall())


def record(name: str, counts: dict[str, Any]) -> None:
    """Write one fault's counts to var/faults/<name>.json (the lead quotes them in the issue's closing note)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    counts = {"fault": name, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **counts}
    (RESULTS / f"{name}.json").write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n")
    print(f"[faults] {name}: {json.dumps(counts, sort_keys=True)}", flush=True)
