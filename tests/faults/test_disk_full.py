"""The disk fills during uploads (issue 16, faults): MEDIA_ROOT of a live web process is a 1 MiB tmpfs.

Operators upload files at once, more than fit. Each upload either is acknowledged (201), and then its row's file
is on disk whole, or is refused with the contract's error body (507, `storage_full`), and then nothing of it is
kept: no row, and no partial file left on the disk (which would also keep the space taken). A small file sent
afterwards still fits, which it would not if the halves of the refused ones were left behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .load import Client, Counts, sign_in, ticket_body
from .stack import FaultStack, record

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

UPLOADS = 6
SIZE = 300 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (the machine runs the tests as root); skipped, or failed under
    HELPDESK_TEST_REQUIRE_SERVICES=1, where mounting is not allowed."""
    target = tmp_path / "media"
    target.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(target)],
                          capture_output=True, text=True, timeout=30) if shutil.which("mount") else None
    if done is None or done.returncode != 0:
        message = f"cannot mount a small tmpfs: {done.stderr.strip() if done else 'no mount(8)'}"
        if os.environ.get("HELPDESK_TEST_REQUIRE_SERVICES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True, timeout=30)


def text_file(n: int, size: int) -> bytes:
    line = f"Log impor penduduk, berkas {n}: baris gagal karena kolom NIK kosong.\n".encode()
    return (line * (size // len(line) + 1))[:size]


async def drive(stack: FaultStack) -> dict[str, Any]:
    counts = Counts()
    clients = [Client(stack.base, await sign_in(stack.base, name), counts) for name in stack.world["operators"]]
    ticket = (await clients[0].call("ticket", "POST", "/api/v1/tickets/", key="disk-t",
                                    json_body=ticket_body("disk", 0))).json()
    url = f"/api/v1/tickets/{ticket['id']}/attachments/"
    refused: list[dict[str, Any]] = []
    sent: dict[str, str] = {}

    async def upload(n: int, size: int) -> None:
        client = clients[0]  # the reporter; the others could not attach to this private ticket
        data = text_file(n, size)
        name = f"log-{n}.txt"
        sent[name] = hashlib.sha256(data).hexdigest()
        try:
            await client.call("upload", "POST", url, key=f"disk-u{n}", files={"file": (name, data, "text/plain")},
                              retry=())
        except RuntimeError:
            last = counts.unclean[-1] if counts.unclean else ""
            refused.append({"name": name, "unclean": bool(last and name in last)})

    responses: list[Any] = []
    original = clients[0].http.request

    async def spy(*args: Any, **kwargs: Any) -> Any:
        response = await original(*args, **kwargs)
        responses.append(response)
        return response

    clients[0].http.request = spy  # type: ignore[method-assign]
    await asyncio.gather(*(upload(n, SIZE) for n in range(UPLOADS)))
    await upload(UPLOADS, 40 * 1024)  # fits only if the refused ones left nothing behind
    for c in clients:
        await c.close()
    errors = [r.json() for r in responses if r.status_code >= 400]
    return {"counts": counts, "ticket": ticket["id"], "refused": refused, "errors": errors, "sent": sent}


def test_a_full_disk_refuses_the_upload_cleanly_and_keeps_no_partial_file(fault_stack: Any, small_disk: Path) -> None:
    stack: FaultStack = fault_stack(media_root=small_disk)
    stack.up(operators=1)
    result = asyncio.run(drive(stack))
    counts: Counts = result["counts"]

    rows = stack.sql("SELECT name, file, size, sha256 FROM tickets_attachment WHERE ticket_id = %s", result["ticket"])
    on_disk = {str(p.relative_to(small_disk)): p for p in small_disk.rglob("*") if p.is_file()}
    referenced = {file for _, file, _, _ in rows}
    whole = [name for name, file, size, sha in rows
             if file in on_disk and on_disk[file].stat().st_size == size
             and hashlib.sha256(on_disk[file].read_bytes()).hexdigest() == sha == result["sent"][name]]
    record("disk_full", {
        **counts.as_dict(), "tmpfs_bytes": 1024 * 1024, "upload_bytes": SIZE,
        "uploads_sent": UPLOADS + 1, "uploads_acknowledged": counts.acked["upload"],
        "uploads_refused": len(result["refused"]), "refusal_codes": sorted({e.get("code") for e in result["errors"]}),
        "attachment_rows": len(rows), "rows_with_whole_file": len(whole),
        "files_on_disk": len(on_disk), "files_not_referenced": len(set(on_disk) - referenced),
    })
    assert result["refused"], "the disk never filled"
    assert counts.acked["upload"] >= 2
    assert {e.get("code") for e in result["errors"]} == {"storage_full"}, result["errors"]
    assert set(counts.statuses) <= {201, 507}, counts.statuses
    assert not counts.unclean
    assert len(rows) == counts.acked["upload"] - 0 and len(whole) == len(rows)
    assert set(on_disk) == referenced, sorted(set(on_disk) - referenced)
    assert f"log-{UPLOADS}.txt" in {name for name, *_ in rows}, "the small file did not fit after the refusals"
