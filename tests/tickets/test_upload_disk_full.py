"""A full disk while an attachment is stored (issue 16; tests/faults/test_disk_full.py does it on a real tmpfs
under load): 507 with the error body, no row, and nothing left on disk, neither the whole file already written
nor the half of the thumbnail the storage was writing when the disk filled."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

from django.core.files.storage import FileSystemStorage
from rest_framework.test import APIClient

from helpdesk.tickets.models import Attachment
from tests.tickets.conftest import World, as_user, png_bytes
from tests.tickets.test_uploads import _upload


def test_a_full_disk_keeps_neither_the_row_nor_any_file(world: World, settings: Any, tmp_path: Path,
                                                        monkeypatch: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    real_save = FileSystemStorage._save

    def fills_up(self: FileSystemStorage, name: str, content: Any) -> str:
        if not name.endswith("thumb.jpg"):
            return str(real_save(self, name, content))
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as half:  # what a write cut short by ENOSPC leaves behind
            half.write(b"\xff\xd8\xff\xe0 half a thumbnail")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", fills_up)
    response = _upload(as_user(APIClient(), world.op_a), world.ticket().pk, "layar.png", png_bytes(size=(800, 600)))
    assert response.status_code == 507, response.content
    body = response.json()
    assert body["code"] == "storage_full" and body["detail"]
    assert not Attachment.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_another_storage_error_is_not_called_a_full_disk(world: World, settings: Any, tmp_path: Path,
                                                         monkeypatch: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)

    def denied(self: FileSystemStorage, name: str, content: Any) -> str:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(FileSystemStorage, "_save", denied)
    client = as_user(APIClient(), world.op_a)
    client.raise_request_exception = False
    response = _upload(client, world.ticket().pk, "catatan.txt", b"log impor\n")
    assert response.status_code == 500  # a misconfigured server is a bug to see, not a full disk
    assert not Attachment.objects.exists()
