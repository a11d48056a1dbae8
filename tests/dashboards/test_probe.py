"""The site probe against a local fake village site: up with a version, down, one request per host per run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from helpdesk.dashboards.models import SiteStatus, Source, VillageAdoption
from helpdesk.dashboards.probe import probe_sites, version_in
from tests.dashboards.conftest import A, C, D, Dash, E
from tests.services import free_port

PAGE = b"""<!doctype html><html><head><meta name="generator" content="OpenSID"></head>
<body><footer>Website Desa Tanjung Luar &middot; OpenSID v2411.0.1</footer></body></html>"""


class FakeVillageSite(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        FakeVillageSite.hits.append(f"{self.headers['Host']}{self.path}")
        if self.path == "/rusak":
            self.send_response(500)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def site() -> Iterator[str]:
    FakeVillageSite.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeVillageSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_version_in_page() -> None:
    assert version_in("... OpenSID v2410.0.0 ...") == "v2410.0.0"
    assert version_in("Dibuat dengan OpenSID 24.10") == "v2410"
    assert version_in("<p>Situs desa</p>") == ""


def test_probe_records_up_down_and_version(dash: Dash, site: str) -> None:
    dead = f"http://127.0.0.2:{free_port()}/"  # another host on the loopback, nothing listening
    VillageAdoption.objects.filter(desa_id=A).update(site_url=f"http://{site}/")
    VillageAdoption.objects.filter(desa_id=C).update(site_url=f"http://localhost:{site.split(':')[1]}/rusak")
    VillageAdoption.objects.filter(desa_id=D).update(site_url=dead)
    # Same host as A: waits for the next run (one request per host per run).
    VillageAdoption.objects.filter(desa_id=E).update(site_url=f"http://{site}/lain")
    assert probe_sites() == 3
    a = VillageAdoption.objects.get(desa_id=A)
    assert (a.site_status, a.site_version, a.opensid_version, a.opensid_release, a.source) == (
        SiteStatus.UP, "v2411.0.1", "v2411.0.1", 2411, Source.PROBE)
    assert VillageAdoption.objects.get(desa_id=C).site_status == SiteStatus.DOWN
    d = VillageAdoption.objects.get(desa_id=D)
    assert d.site_status == SiteStatus.DOWN and d.opensid_version == "v2301.0.0"  # a dead site changes nothing else
    assert VillageAdoption.objects.get(desa_id=E).site_checked_at is None
    assert probe_sites() == 1  # E's turn; the others are fresh for a week
    assert VillageAdoption.objects.get(desa_id=E).site_status == SiteStatus.UP
    assert probe_sites() == 0
    assert len(FakeVillageSite.hits) == 3
