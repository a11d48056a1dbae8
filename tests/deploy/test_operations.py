"""Operations: production system checks, secrets kept out of errors, the demo guard, /readyz?strict=1,
X-Accel-Redirect for attachments, request ids from a request to the worker's log line, make clean."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from helpdesk.core import checks
from helpdesk.core.logs import JsonFormatter, RequestIdFilter
from helpdesk.core.models import OutboxJob, WorkerHeartbeat
from helpdesk.core.outbox import Dispatcher
from tests.services import ROOT
from tests.tickets.conftest import World, as_user, png_bytes

GOOD_KEY = "q3v9Zk2LmP0xR7wT5yB8nC1dF4gH6jK9sA2eU7iO3pL5zX8cV0bN"
PRODUCTION = {
    "DEBUG": False,
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "SITE_URL": "https://bantuan.example.id",
    "DEFAULT_FROM_EMAIL": "SID Helpdesk <bantuan@example.id>",
    "BEHIND_PROXY": True,
    "HTTPS": True,
}


def _ids(**overrides: Any) -> set[str]:
    with override_settings(**{**PRODUCTION, **overrides}):
        return {message.id for message in checks.production_settings()}  # type: ignore[misc]


def test_a_complete_production_configuration_has_no_warnings() -> None:
    assert _ids() == set()


@pytest.mark.parametrize(
    ("overrides", "check_id"),
    [
        ({"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}, "helpdesk.W001"),
        ({"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}, "helpdesk.W001"),
        ({"SITE_URL": "http://127.0.0.1:8000"}, "helpdesk.W002"),
        ({"SITE_URL": "http://localhost"}, "helpdesk.W002"),
        ({"DEFAULT_FROM_EMAIL": "SID Helpdesk <bantuan@localhost>"}, "helpdesk.W003"),
        ({"BEHIND_PROXY": None}, "helpdesk.W004"),
        ({"BEHIND_PROXY": False}, "helpdesk.W005"),
    ],
)
def test_each_silent_fallback_is_a_warning_in_production(overrides: dict[str, Any], check_id: str) -> None:
    assert _ids(**overrides) == {check_id}


def test_behind_proxy_0_without_https_is_a_direct_setup() -> None:
    assert _ids(BEHIND_PROXY=False, HTTPS=False) == set()


def test_development_is_left_alone() -> None:
    assert _ids(DEBUG=True, SITE_URL="http://127.0.0.1:8000", BEHIND_PROXY=None) == set()


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "DJANGO_SETTINGS_MODULE": "helpdesk.settings.base"}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_the_warnings_show_in_check_deploy_with_the_bare_defaults() -> None:
    result = _manage("check", "--deploy", SECRET_KEY=GOOD_KEY)
    for check_id in ("helpdesk.W001", "helpdesk.W002", "helpdesk.W003", "helpdesk.W004"):
        assert check_id in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("DATABASE_URL", "postgres://helpdesk:Sup3rS3cret@db.example:notaport/helpdesk"),
        ("DATABASE_URL", "postgres://helpdesk:Sup3rS3cret@/helpdesk"),
        ("DATABASE_URL", "postgres://helpdesk:Sup3r/S3cret@db.example:5432/helpdesk"),
        ("EMAIL_URL", "smtp://bantuan:Sup3rS3cret@mail.example:notaport"),
        ("EMAIL_URL", "smpt://bantuan:Sup3rS3cret@mail.example:587"),
        ("REDIS_URL", "http://:Sup3rS3cret@redis.example:6379/0"),
        ("SEARCH_URL", "opensearch+http://admin:Sup3rS3cret@search.example:notaport"),
    ],
)
def test_a_malformed_url_names_the_variable_but_not_the_password(variable: str, url: str) -> None:
    result = _manage("check", SECRET_KEY=GOOD_KEY, **{variable: url})
    assert result.returncode != 0
    assert variable in result.stderr, result.stderr
    assert "S3cret" not in result.stderr + result.stdout
    assert "***" in result.stderr


@pytest.mark.django_db
def test_seed_demo_refuses_without_debug(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HELPDESK_ALLOW_DEMO", raising=False)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-demo-in-production"):
        call_command("seed_demo")
    from helpdesk.accounts.models import User

    assert not User.objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_seed_demo_runs_when_forced(settings: Any) -> None:
    settings.DEBUG = False
    call_command("seed_demo", "--allow-demo-in-production", stdout=open("/dev/null", "w"))  # noqa: SIM115
    from helpdesk.accounts.models import User

    assert User.objects.filter(username="admin").exists()


@pytest.mark.django_db(transaction=True)
def test_readyz_strict_fails_while_degraded_and_a_stale_heartbeat_counts_as_a_dead_worker(client: Client) -> None:
    stale = timezone.now() - timedelta(seconds=600)
    WorkerHeartbeat.objects.create(worker_id="dead", hostname="h", pid=1, seen_at=stale)
    relaxed = client.get("/readyz")
    assert relaxed.status_code == 200 and relaxed.json()["status"] == "degraded"
    assert relaxed.json()["checks"]["tasks"]["status"] == "down"
    strict = client.get("/readyz?strict=1")
    assert strict.status_code == 503
    assert strict.json() == relaxed.json() | {"checks": strict.json()["checks"]}  # same contract body
    WorkerHeartbeat.objects.create(worker_id="alive", hostname="h", pid=2, seen_at=timezone.now())
    assert client.get("/readyz?strict=1").status_code == 200


def _attachment_url(world: World) -> tuple[APIClient, str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from helpdesk.tickets.models import Attachment

    ticket = world.ticket()
    client = as_user(APIClient(), world.op_a)
    response = client.post(
        f"/api/v1/tickets/{ticket.pk}/attachments/",
        {"file": SimpleUploadedFile("layar.png", png_bytes(size=(40, 30)))},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return client, response.json()["url"], Attachment.objects.get(pk=response.json()["id"])


def test_attachments_are_streamed_by_default(world: World) -> None:
    client, url, _ = _attachment_url(world)
    response = client.get(url)
    assert response.status_code == 200 and "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_with_x_accel_nginx_sends_the_file_after_the_access_check(world: World, settings: Any) -> None:
    settings.ATTACHMENTS_X_ACCEL = True
    client, url, attachment = _attachment_url(world)
    response = client.get(url)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/_protected/" + attachment.file.name
    assert response.content == b""
    assert response["Content-Disposition"].startswith('attachment; filename="layar')
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    stranger = as_user(APIClient(), world.op_bima)
    refused = stranger.get(url)
    assert refused.status_code in {403, 404} and "X-Accel-Redirect" not in refused


def test_a_request_id_travels_from_the_request_to_the_workers_log_line(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    OutboxJob.objects.all().delete()
    response = Client().post("/sandi/lupa/", {"email": world.vol_lotim.email}, HTTP_X_REQUEST_ID="req-4242-abc")
    assert response.status_code == 302
    assert response["X-Request-ID"] == "req-4242-abc"
    jobs = list(OutboxJob.objects.all())
    assert jobs and {job.request_id for job in jobs} == {"req-4242-abc"}
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    lines: list[str] = []
    handler.emit = lambda record: lines.append(handler.format(record))  # type: ignore[method-assign]
    outbox_log = logging.getLogger("helpdesk.core.outbox")
    outbox_log.addHandler(handler)
    try:
        with caplog.at_level(logging.INFO, logger="helpdesk.core.outbox"):
            Dispatcher("test-worker").drain()
    finally:
        outbox_log.removeHandler(handler)
    entries = [json.loads(line) for line in lines]
    done = [e for e in entries if " done in " in e["message"]]
    assert done and all(e["request_id"] == "req-4242-abc" for e in done), entries


def test_a_request_without_an_id_gets_one_and_a_bad_one_is_replaced(client: Client) -> None:
    generated = client.get("/healthz")["X-Request-ID"]
    assert len(generated) == 32
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert replaced != "bad id\nwith newline" and len(replaced) == 32


def test_make_clean_keeps_var_and_distclean_asks_first() -> None:
    dry = subprocess.run(["make", "-n", "clean"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert dry.returncode == 0, dry.stderr
    removed = " ".join(line for line in dry.stdout.splitlines() if line.startswith("rm "))
    assert ".venv" in removed and " var" not in removed
    refused = subprocess.run(["make", "distclean"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0 and "CONFIRM=var" in refused.stderr
    assert (ROOT / "var").exists()


def test_check_deploy_is_clean_with_production_settings_from_env_example() -> None:
    """DEBUG off and every variable of deploy/env.example set: no warning at all, even at --fail-level WARNING."""
    script = (
        'set -a; . deploy/env.example; set +a; SECRET_KEY="$GOOD_KEY"; '
        f'exec {sys.executable} manage.py check --deploy --fail-level WARNING'
    )
    result = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "GOOD_KEY": GOOD_KEY},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
