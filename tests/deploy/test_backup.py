"""deploy/backup.sh and deploy/restore.sh on PostgreSQL: a ticket and its attachment survive the round trip."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from tests.services import ROOT
from tests.services import test_database_url as url_of_the_test_database
from tests.tickets.conftest import World, as_user, png_bytes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "deploy" / script), *args],
        env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=300,
    )


def test_backup_and_restore_into_a_fresh_database(world: World, tmp_path: Path) -> None:
    ticket = world.ticket(title="Cadangan: gagal sinkron data OpenSID")
    client = as_user(APIClient(), world.op_a)
    content = png_bytes(size=(64, 48))
    uploaded = client.post(
        f"/api/v1/tickets/{ticket.pk}/attachments/", {"file": SimpleUploadedFile("bukti.png", content)},
        format="multipart",
    )
    assert uploaded.status_code == 201, uploaded.content
    from helpdesk.tickets.models import Attachment

    attachment = Attachment.objects.get(pk=uploaded.json()["id"])
    stored = Path(attachment.file.path).read_bytes()

    source_url = url_of_the_test_database()
    backup = _run("backup.sh", str(tmp_path / "backups"), DATABASE_URL=source_url, MEDIA_ROOT=str(settings.MEDIA_ROOT))
    assert backup.returncode == 0, backup.stderr
    backup_dir = Path(backup.stdout.strip())
    assert {p.name for p in backup_dir.iterdir()} == {"database.dump", "media.tar.gz", "SHA256SUMS"}

    fresh = f"test_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{fresh}"')
    fresh_url = source_url.rsplit("/", 1)[0] + f"/{fresh}"
    media = tmp_path / "restored-media"
    try:
        restored = _run("restore.sh", str(backup_dir), DATABASE_URL=fresh_url, MEDIA_ROOT=str(media))
        assert restored.returncode == 0, restored.stderr
        with psycopg.connect(fresh_url) as conn:
            title = conn.execute("SELECT title FROM tickets_ticket WHERE id = %s", [ticket.pk]).fetchone()
            row = conn.execute("SELECT file FROM tickets_attachment WHERE id = %s", [attachment.pk]).fetchone()
        assert title == ("Cadangan: gagal sinkron data OpenSID",)
        assert row is not None and (media / row[0]).read_bytes() == stored
        again = _run("restore.sh", str(backup_dir), DATABASE_URL=fresh_url, MEDIA_ROOT=str(media))
        assert again.returncode != 0 and "--clean" in again.stderr  # never over a database in use by mistake
        replaced = _run("restore.sh", "--clean", str(backup_dir), DATABASE_URL=fresh_url, MEDIA_ROOT=str(media))
        assert replaced.returncode == 0, replaced.stderr
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')


def test_backup_refuses_sqlite() -> None:
    result = _run("backup.sh", "/tmp/none", DATABASE_URL="sqlite:///var/db.sqlite3")
    assert result.returncode != 0 and "PostgreSQL" in result.stderr
