"""The production configurations parse: nginx -t (Debian's nginx), systemd-analyze verify, and the compose
file against the compose-spec JSON schema. Paths are substituted for this checkout; nothing is started."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from tests.services import ROOT, require_service

DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=bantuan.example.id",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


def _nginx_t(tmp_path: Path, site: str) -> subprocess.CompletedProcess[str]:
    for sub in ("static", "media", "acme", "logs"):
        (tmp_path / sub).mkdir(exist_ok=True)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/logs/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {tmp_path}/logs/access.log;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    include {tmp_path}/site.conf;
}}
"""
    )
    assert NGINX
    return subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=60,
    )


def _paths(text: str, tmp_path: Path) -> str:
    return (
        text.replace("/var/lib/helpdesk/static/", f"{tmp_path}/static/")
        .replace("/var/lib/helpdesk/media/", f"{tmp_path}/media/")
        .replace("/var/www/letsencrypt", f"{tmp_path}/acme")
    )


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (deploy/services/nginx.sh installs it)")
def test_the_debian_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    site = _paths((DEPLOY / "nginx" / "helpdesk.conf").read_text(), tmp_path)
    site = site.replace("/etc/letsencrypt/live/bantuan.example.id/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/bantuan.example.id/privkey.pem", str(key))
    assert "/etc/letsencrypt" not in site
    result = _nginx_t(tmp_path, site)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (deploy/services/nginx.sh installs it)")
def test_the_compose_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    site = _paths((DEPLOY / "compose" / "nginx.conf").read_text(), tmp_path)
    # `web` and `api` resolve on the compose network only.
    site = site.replace("server web:8000", "server 127.0.0.1:8000").replace("server api:8000", "server 127.0.0.1:8001")
    result = _nginx_t(tmp_path, site)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", ["nginx/helpdesk.conf", "compose/nginx.conf"])
def test_nginx_overwrites_forwarded_for_and_matches_the_apps_limits(path: str) -> None:
    from django.conf import settings

    text = (DEPLOY / path).read_text()
    # Overwritten, never appended: the app takes the last hop, which must be the address nginx saw.
    assert "$proxy_add_x_forwarded_for" not in text
    assert text.count("proxy_set_header X-Forwarded-For $remote_addr;") == 3
    assert text.count("proxy_pass http://helpdesk_web;") == 2
    assert text.count("proxy_pass http://helpdesk_api;") == 1 and "location /api/ {" in text
    body_mb = int(re.search(r"client_max_body_size (\d+)m;", text).group(1))  # type: ignore[union-attr]
    assert settings.ATTACHMENT_MAX_BYTES < body_mb * 1024 * 1024 <= settings.ATTACHMENT_MAX_BYTES + 4 * 1024 * 1024
    assert f"location {settings.ATTACHMENTS_X_ACCEL_PREFIX} {{\n        internal;" in text
    assert "location /ws/" in text and "proxy_set_header Upgrade $http_upgrade;" in text


UNITS = ["helpdesk-migrate.service", "helpdesk-web@8001.service", "helpdesk-api@8101.service", "helpdesk-worker@1.service",
         "helpdesk-telegram.service", "helpdesk.target"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    env = tmp_path / "env"
    env.write_text((DEPLOY / "env.example").read_text())
    for unit in (DEPLOY / "systemd").iterdir():
        text = (
            unit.read_text()
            .replace("/srv/helpdesk/.venv/bin/python", sys.executable)
            .replace("/srv/helpdesk", str(ROOT))
            .replace("/etc/helpdesk/env", str(env))
        )
        (tmp_path / unit.name).write_text(text)
    for template, instance in (("helpdesk-web@.service", "8001"), ("helpdesk-api@.service", "8101"),
                               ("helpdesk-worker@.service", "1")):
        os.symlink(tmp_path / template, tmp_path / template.replace("@.", f"@{instance}."))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *[str(tmp_path / unit) for unit in UNITS]],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_every_long_running_unit_stops_on_sigterm_within_a_bound() -> None:
    for name in ("helpdesk-web@.service", "helpdesk-api@.service", "helpdesk-worker@.service",
                 "helpdesk-telegram.service"):
        text = (DEPLOY / "systemd" / name).read_text()
        assert "KillSignal=SIGTERM" in text and re.search(r"^TimeoutStopSec=\d+$", text, re.M), name
        assert "EnvironmentFile=/etc/helpdesk/env" in text


def _compose() -> dict[str, object]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_the_compose_file_matches_the_compose_spec_schema() -> None:
    import jsonschema

    schema_path = require_service("HELPDESK_TEST_COMPOSE_SCHEMA", "the compose-spec JSON schema")
    schema = json.loads(Path(schema_path).read_text())
    validator = jsonschema.Draft201909Validator(schema)
    errors = sorted(validator.iter_errors(_compose()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    # The schema is loose about what it does not know: a misspelt key of ours must still be caught.
    broken = _compose()
    broken["services"]["web"]["comand"] = ["x"]  # type: ignore[index]
    assert any(validator.iter_errors(broken))


def test_the_compose_file_runs_every_process_against_every_service() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    assert {"postgres", "redis", "opensearch", "migrate", "web", "api", "worker", "bridge", "nginx"} <= set(services)
    for name in ("web", "api", "worker", "bridge"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://")
        assert env["SEARCH_URL"].startswith("opensearch+http://") and env["BEHIND_PROXY"] == "1"
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    mounts = services["nginx"]["volumes"]
    assert "./compose/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in mounts
    assert (DEPLOY / "Dockerfile").exists()


class _Upstream(BaseHTTPRequestHandler):
    """Stands in for a web process: records what nginx forwarded, answers attachments with X-Accel-Redirect."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        self.send_response(200)
        if self.path.startswith("/api/v1/attachments/"):
            self.send_header("X-Accel-Redirect", "/_protected/attachments/bukti.png")
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Disposition", 'attachment; filename="bukti.png"')
            self.send_header("Cache-Control", "private, max-age=300")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received = len(self.rfile.read(length))
        type(self).seen.append({"path": self.path, "method": "POST", "received": str(received)})
        self.send_response(201)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (deploy/services/nginx.sh installs it)")
def test_the_site_serves_attachments_after_the_app_and_overwrites_forwarded_for(tmp_path: Path) -> None:
    import httpx

    from tests.services import free_port, wait_for

    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    https_port, http_port = free_port(), free_port()
    cert, key = _self_signed(tmp_path)
    site = _paths((DEPLOY / "nginx" / "helpdesk.conf").read_text(), tmp_path)
    site = site.replace("/etc/letsencrypt/live/bantuan.example.id/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/bantuan.example.id/privkey.pem", str(key))
    site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)  # the test machine may have no IPv6
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl;")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    # Each upstream (helpdesk_web, helpdesk_api) becomes the one stand-in.
    site = re.sub(r"(?:\n\s*server 127\.0\.0\.1:8[01]0\d [^;]*;)+", f"\n    server 127.0.0.1:{upstream.server_address[1]};",
                  site)
    assert _nginx_t(tmp_path, site).returncode == 0
    (tmp_path / "media" / "attachments").mkdir(parents=True)
    (tmp_path / "media" / "attachments" / "bukti.png").write_bytes(b"\x89PNG-bytes")
    (tmp_path / "static" / "app.css").write_text("body{}")
    conf = (tmp_path / "nginx.conf").read_text().replace("pid ", "user root;\nmaster_process on;\npid ", 1)
    (tmp_path / "nginx.conf").write_text(conf)
    assert NGINX
    started = subprocess.run([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True, timeout=30)
    assert started.returncode == 0, started.stderr
    base = f"https://127.0.0.1:{https_port}"
    try:
        with httpx.Client(verify=False, headers={"Host": "bantuan.example.id"}, timeout=5) as web:
            wait_for(lambda: _answers(web, base), timeout=10, what="nginx to answer")
            _Upstream.seen.clear()
            response = web.get(f"{base}/api/v1/attachments/7/", headers={"X-Forwarded-For": "6.6.6.6"})
            assert response.status_code == 200
            assert response.content == b"\x89PNG-bytes"  # from MEDIA_ROOT, not the app's body
            assert response.headers["content-disposition"] == 'attachment; filename="bukti.png"'
            assert response.headers["cache-control"] == "private, max-age=300"
            assert response.headers["x-content-type-options"] == "nosniff"
            assert "sandbox" in response.headers["content-security-policy"]
            forwarded = _Upstream.seen[-1]
            assert forwarded["x-forwarded-for"] == "127.0.0.1"  # overwritten: the client cannot choose it
            assert forwarded["x-forwarded-proto"] == "https" and forwarded["x-request-id"]
            for path in ("/media/attachments/bukti.png", "/_protected/attachments/bukti.png", "/metrics"):
                assert web.get(f"{base}{path}").status_code == 404, path
            assert web.get(f"{base}/static/app.css").text == "body{}"
            plain = httpx.get(f"http://127.0.0.1:{http_port}/masuk/", headers={"Host": "bantuan.example.id"})
            assert plain.status_code == 301 and plain.headers["location"].startswith("https://")

            # The upload limit (issue 16): a body over client_max_body_size is refused by nginx before the app
            # sees a byte of it; one under the limit reaches the app whole.
            limit = _max_body_bytes(site)
            url = f"{base}/api/v1/tickets/1/attachments/"
            _Upstream.seen.clear()
            over = web.post(url, content=b"x" * (limit + 1), headers={"Content-Type": "application/octet-stream"})
            assert over.status_code == 413
            assert not _Upstream.seen, "a body over the limit reached the app"
            size = limit - 64 * 1024
            under = web.post(url, content=b"x" * size, headers={"Content-Type": "application/octet-stream"})
            assert under.status_code == 201
            assert _Upstream.seen[-1] == {"path": "/api/v1/tickets/1/attachments/", "method": "POST",
                                          "received": str(size)}
    finally:
        subprocess.run([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-s", "stop"],
                       capture_output=True, timeout=30)
        upstream.shutdown()


def _max_body_bytes(site: str) -> int:
    match = re.search(r"client_max_body_size (\d+)([km]?);", site)
    assert match, "client_max_body_size not found in the site"
    return int(match.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[match.group(2)]


def _answers(web: Any, base: str) -> bool:
    try:
        return bool(web.get(f"{base}/static/app.css").status_code == 200)
    except Exception:
        return False
