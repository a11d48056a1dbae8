"""Downloading what users post (photos, documents) from Telegram: getFile, then the file URL.

Bots may download files up to 20 MB; Telegram answers getFile for bigger ones with "file is too big".
Call this from an outbox job, never inside the transaction that applies an update: a download can take
seconds, and SQLite would hold its write lock all that time.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram.error import BadRequest

from . import config
from .client import get_client


class FileTooBig(Exception):
    pass


@dataclass(frozen=True)
class Downloaded:
    content: bytes
    file_path: str
    file_unique_id: str


def download(file_id: str, *, max_bytes: int = config.MAX_DOWNLOAD_BYTES) -> Downloaded:
    client = get_client()

    async def fetch(bot):  # type: ignore[no-untyped-def]
        try:
            tg_file = await bot.get_file(file_id)
        except BadRequest as exc:
            if "too big" in exc.message.lower():
                raise FileTooBig(exc.message) from exc
            raise
        if tg_file.file_size and tg_file.file_size > max_bytes:
            raise FileTooBig(f"{tg_file.file_size} bytes")
        data = bytes(await tg_file.download_as_bytearray())
        return Downloaded(content=data, file_path=tg_file.file_path or "", file_unique_id=tg_file.file_unique_id)

    result: Downloaded = client.run(fetch)
    if len(result.content) > max_bytes:
        raise FileTooBig(f"{len(result.content)} bytes")
    return result
