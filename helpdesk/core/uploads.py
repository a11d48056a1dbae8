"""Checks for uploaded files: the type comes from the content, never from the name.

Allowed: images (PNG, JPEG, GIF, WebP), PDF, plain text/logs, and ZIP archives that are not bombs. Images
are re-encoded without their EXIF data (which may carry GPS positions) and get a thumbnail.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from typing import IO

import puremagic
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}
ALLOWED_TYPES = {*IMAGE_TYPES, "application/pdf", "application/zip", "text/plain"}
ZIP_MAX_ENTRIES = 1000
ZIP_MAX_TOTAL_BYTES = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
THUMBNAIL_SIZE = (320, 320)
Image.MAX_IMAGE_PIXELS = 40_000_000  # bigger screenshots than this are decompression bombs, not screenshots


class UploadRejected(Exception):
    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.too_large = too_large


@dataclass
class CheckedFile:
    name: str
    content: bytes
    content_type: str
    sha256: str
    thumbnail: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.content)


def max_upload_bytes() -> int:
    return int(getattr(settings, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def _sniff(head: bytes) -> str:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "application/zip"
    try:
        detected = puremagic.from_string(head, mime=True)
    except puremagic.PureError:
        detected = ""
    return detected or ""


def _is_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        try:
            content.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return True


def _check_zip(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            if len(entries) > ZIP_MAX_ENTRIES:
                raise UploadRejected(_("Arsip ZIP berisi terlalu banyak berkas."))
            total = 0
            for entry in entries:
                total += entry.file_size
                if entry.compress_size and entry.file_size / entry.compress_size > ZIP_MAX_RATIO:
                    raise UploadRejected(_("Arsip ZIP ditolak: rasio kompresinya mencurigakan (zip bomb)."))
                if total > ZIP_MAX_TOTAL_BYTES:
                    raise UploadRejected(_("Arsip ZIP ditolak: isinya terlalu besar setelah diekstrak."))
    except zipfile.BadZipFile:
        raise UploadRejected(_("Berkas ZIP rusak atau bukan ZIP.")) from None


def _clean_image(content: bytes, content_type: str) -> tuple[bytes, bytes]:
    """Re-encode without metadata (EXIF, GPS) and make a thumbnail."""
    try:
        with Image.open(io.BytesIO(content)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            fmt = IMAGE_TYPES[content_type]
            # EXIF orientation is applied to the pixels before the EXIF block is dropped.
            frame = image.convert("RGBA") if fmt == "GIF" else (ImageOps.exif_transpose(image) or image)
            out = io.BytesIO()
            if fmt == "JPEG":
                frame.convert("RGB").save(out, format="JPEG", quality=90, optimize=True)
            elif fmt == "GIF":
                frame.save(out, format="PNG", optimize=True)
            else:
                frame.save(out, format=fmt)
            thumb_image = frame.copy()
            thumb_image.thumbnail(THUMBNAIL_SIZE)
            thumb = io.BytesIO()
            thumb_image.convert("RGB").save(thumb, format="JPEG", quality=80)
            return out.getvalue(), thumb.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError):
        raise UploadRejected(_("Gambar rusak atau tidak bisa dibaca.")) from None


def check_upload(name: str, stream: IO[bytes], *, declared_size: int | None = None) -> CheckedFile:
    """Read, check and clean an upload, or raise UploadRejected with a message for the user."""
    limit = max_upload_bytes()
    if declared_size is not None and declared_size > limit:
        raise UploadRejected(_("Berkas terlalu besar (maks. %(mb)d MB).") % {"mb": limit // (1024 * 1024)}, too_large=True)
    content = stream.read(limit + 1)
    if len(content) > limit:
        raise UploadRejected(_("Berkas terlalu besar (maks. %(mb)d MB).") % {"mb": limit // (1024 * 1024)}, too_large=True)
    if not content:
        raise UploadRejected(_("Berkas kosong."))
    content_type = _sniff(content[:4096])
    if content_type not in ALLOWED_TYPES:
        if not content_type and _is_text(content):
            content_type = "text/plain"
        else:
            raise UploadRejected(
                _("Jenis berkas tidak diizinkan. Kirim gambar (PNG/JPEG/GIF/WebP), PDF, teks/log, atau ZIP.")
            )
    thumbnail = None
    if content_type == "application/zip":
        _check_zip(content)
    elif content_type in IMAGE_TYPES:
        content, thumbnail = _clean_image(content, content_type)
        if content_type == "image/gif":
            content_type = "image/png"
    safe_name = _safe_name(name, content_type)
    return CheckedFile(
        name=safe_name,
        content=content,
        content_type=content_type,
        sha256=hashlib.sha256(content).hexdigest(),
        thumbnail=thumbnail,
    )


_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "text/plain": ".txt",
}


def _safe_name(name: str, content_type: str) -> str:
    """Keep a readable name, but make its extension match the content."""
    base = (name or "lampiran").replace("\\", "/").rsplit("/", 1)[-1].strip() or "lampiran"
    base = "".join(ch if ch.isalnum() or ch in " ._-()" else "_" for ch in base)[:150]
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    expected = _EXTENSIONS[content_type]
    if content_type == "text/plain" and f".{ext.lower()}" in {".txt", ".log", ".csv", ".sql", ".md", ".json"}:
        return base
    if f".{ext.lower()}" == expected or (expected == ".jpg" and ext.lower() == "jpeg"):
        return base
    return f"{stem or 'lampiran'}{expected}"
