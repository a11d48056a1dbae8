"""The cluster test (tests/cluster) renders deploy/nginx/helpdesk.conf for plain HTTP on loopback; the result must
keep the site's locations and pass `nginx -t`, so a change to the site that the renderer no longer understands
fails here, not in the middle of `make cluster-test`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cluster.stack import ROOT, render_nginx

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def _render(tmp_path: Path) -> str:
    for sub in ("logs", "nginx/body", "nginx/proxy", "nginx/fastcgi", "nginx/uwsgi", "nginx/scgi", "static", "media"):
        (tmp_path / sub).mkdir(parents=True, exist_ok=True)
    return render_nginx((ROOT / "deploy/nginx/helpdesk.conf").read_text(), listen=18080, web_ports=[18001, 18002],
                        tmp=tmp_path, static=tmp_path / "static", media=tmp_path / "media")


def test_the_rendered_site_keeps_the_locations_without_tls(tmp_path: Path) -> None:
    conf = _render(tmp_path)
    assert "listen 127.0.0.1:18080;" in conf and "ssl" not in conf and "443" not in conf
    assert "server 127.0.0.1:18001 max_fails=1" in conf and "server 127.0.0.1:18002 max_fails=1" in conf
    assert "server 127.0.0.1:8001 " not in conf and "server 127.0.0.1:8002 " not in conf
    for location in ("location /ws/", "location /_protected/", "location /media/", "location = /metrics",
                     "location /static/", "proxy_next_upstream error timeout http_502 http_503;"):
        assert location in conf
    assert f"alias {tmp_path}/media/;" in conf


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (deploy/services/nginx.sh installs it)")
def test_the_rendered_site_passes_nginx_t(tmp_path: Path) -> None:
    (tmp_path / "nginx.conf").write_text(_render(tmp_path))
    result = subprocess.run([NGINX, "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
