"""`kb_import`: JSON Lines in the contract's format, checked whole before anything is written.

One object a line: `external_id` (required, unique), `title` (required), `question`, `answer`, `category`,
`tags` (list), `region_code`, `solved_at` (ISO 8601), and `versions` (list, optional). Every line is read and
checked first; a bad line (not UTF-8, broken JSON, a missing or repeated `external_id`, an unknown category or
region, ...) is reported with its number, and then nothing is written unless `skip_invalid` is set. The write is
one transaction: entries are created or updated by `external_id` (idempotent), masked like every other entry, and
indexed in the same transaction, so they are searchable when it commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.access import forum_for_region, root_forum
from helpdesk.accounts.models import Forum
from helpdesk.categories.models import Category
from helpdesk.core.markdown import render_markdown
from helpdesk.regions.models import Region
from search.indexing import index_now

from .indexing import DOC_TYPE, sync_entries
from .masking import findings_to_json, mask_entry_text
from .models import Entry, EntrySource, EntryStatus, make_slug
from .validation import (
    MAX_TEXT,
    MAX_TITLE,
    clean_external_id,
    clean_tags,
    clean_text,
    clean_versions,
    parse_solved_at,
)

BATCH = 500
KNOWN_KEYS = {"external_id", "title", "question", "answer", "category", "tags", "region_code", "solved_at",
              "versions"}


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        if not self.line:  # about the whole file
            return self.message
        return _("baris %(line)d: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class Row:
    line: int
    external_id: str
    title: str
    question: str
    answer: str
    category: str
    tags: list[str]
    versions: list[str]
    region_code: str
    solved_at: datetime | None


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    ignored_keys: set[str] = field(default_factory=set)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    masked: int = 0
    skipped: list[LineError] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)


class ImportFailed(Exception):
    def __init__(self, errors: Sequence[LineError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = list(errors)


# --- reading ---------------------------------------------------------------------------------------------


def _lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for number, raw in enumerate(data.split(b"\n"), start=1):
        yield number, raw.rstrip(b"\r")


def _string(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({key: _("harus berupa teks")})
    return value


def _list(obj: dict[str, Any], key: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise ValidationError({key: _("harus berupa daftar teks")})
    return value


def _check(obj: dict[str, Any], categories: dict[str, Category]) -> dict[str, Any]:
    """The fields of one object, cleaned; ValidationError names each bad field."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    checks: dict[str, Callable[[], Any]] = {
        "external_id": lambda: clean_external_id(obj.get("external_id")),
        "title": lambda: clean_text(_string(obj, "title"), field="title", max_length=MAX_TITLE, required=True),
        "question": lambda: clean_text(_string(obj, "question"), field="question", max_length=MAX_TEXT),
        "answer": lambda: clean_text(_string(obj, "answer"), field="answer", max_length=MAX_TEXT),
        "tags": lambda: clean_tags(_list(obj, "tags")),
        "versions": lambda: clean_versions(_list(obj, "versions")),
        "category": lambda: _string(obj, "category").strip(),
        "region_code": lambda: _string(obj, "region_code").strip(),
        "solved_at": lambda: parse_solved_at(_string(obj, "solved_at")) if obj.get("solved_at") else None,
    }
    for name, check in checks.items():
        try:
            out[name] = check()
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    if "category" in out and out["category"] and out["category"] not in categories:
        errors.setdefault("category", []).append(
            _("kategori %(slug)r tidak dikenal (pilihan: %(known)s)")
            % {"slug": out["category"], "known": ", ".join(sorted(categories))}
        )
    if errors:
        raise ValidationError(errors)
    return out


def parse(data: bytes) -> Parsed:
    """Every line checked; errors carry line numbers. Region codes are checked against the database in one query."""
    parsed = Parsed()
    categories = {c.slug: c for c in Category.objects.filter(is_active=True)}
    seen: dict[str, int] = {}
    for number, raw in _lines(data):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            parsed.errors.append(LineError(number, _("bukan UTF-8 (byte 0x%(byte)02x di kolom %(col)d); simpan berkas "
                                                   "sebagai UTF-8") % {"byte": raw[exc.start], "col": exc.start + 1}))
            continue
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            parsed.errors.append(LineError(number, _("JSON rusak: %(msg)s (kolom %(col)d)")
                                           % {"msg": exc.msg, "col": exc.colno}))
            continue
        if not isinstance(obj, dict):
            parsed.errors.append(LineError(number, _("harus berupa satu objek JSON {...} per baris")))
            continue
        try:
            fields = _check(obj, categories)
        except ValidationError as exc:
            detail = "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in exc.message_dict.items())
            parsed.errors.append(LineError(number, detail))
            continue
        external_id = fields["external_id"]
        if external_id in seen:
            parsed.errors.append(LineError(number, _("external_id %(id)r sudah ada di baris %(first)d")
                                           % {"id": external_id, "first": seen[external_id]}))
            continue
        seen[external_id] = number
        parsed.ignored_keys.update(set(obj) - KNOWN_KEYS)
        parsed.rows.append(Row(line=number, **fields))
    _check_regions(parsed)
    return parsed


def _check_regions(parsed: Parsed) -> None:
    codes = {r.region_code for r in parsed.rows if r.region_code}
    known: set[str] = set()
    listed = sorted(codes)
    for start in range(0, len(listed), BATCH):
        known.update(Region.objects.filter(code__in=listed[start:start + BATCH]).values_list("code", flat=True))
    bad = [r for r in parsed.rows if r.region_code and r.region_code not in known]
    for row in bad:
        parsed.errors.append(LineError(row.line, _("region_code %(code)r tidak dikenal (impor wilayah dengan "
                                                   "import_regions)") % {"code": row.region_code}))
    if bad:
        bad_lines = {r.line for r in bad}
        parsed.rows = [r for r in parsed.rows if r.line not in bad_lines]
        parsed.errors.sort(key=lambda e: e.line)


# --- writing ---------------------------------------------------------------------------------------------


class _Forums:
    """The reviewing forum per region code, asked once per code."""

    def __init__(self) -> None:
        self.cache: dict[str, Forum | None] = {}
        self.root: Forum | None = None
        self.root_loaded = False

    def for_code(self, code: str) -> Forum | None:
        if not code:
            if not self.root_loaded:
                self.root, self.root_loaded = root_forum(), True
            return self.root
        if code not in self.cache:
            self.cache[code] = forum_for_region(code)
        return self.cache[code]


def _fill(entry: Entry, row: Row, categories: dict[str, Category], forums: _Forums) -> int:
    """Set the entry's fields from the row (masked); returns how many values were masked."""
    masked = mask_entry_text({"title": row.title, "question": row.question, "answer": row.answer}, profile="import")
    entry.title = masked.fields["title"][:MAX_TITLE]
    entry.question = masked.fields["question"]
    entry.answer = masked.fields["answer"]
    entry.question_html = render_markdown(entry.question)
    entry.answer_html = render_markdown(entry.answer)
    entry.slug = make_slug(entry.title)
    entry.mask_findings = findings_to_json(masked.findings)
    entry.category = categories.get(row.category) if row.category else None
    entry.tags = row.tags
    entry.versions = row.versions
    entry.origin_region_id = row.region_code or None
    entry.forum = forums.for_code(row.region_code)
    entry.solved_at = row.solved_at
    return len(masked.findings)


_COMPARED = ("title", "question", "answer", "category_id", "tags", "versions", "origin_region_id", "solved_at",
             "status", "forum_id")


def _snapshot(entry: Entry) -> tuple[Any, ...]:
    return tuple(getattr(entry, name) for name in _COMPARED)


def import_rows(
    rows: Sequence[Row], *, status: str = EntryStatus.PUBLISHED, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Create or update an entry per row, in one transaction, indexed as it goes. Archived entries stay archived
    (an admin took them down); every other entry in the file gets `status`."""
    if status not in (EntryStatus.PUBLISHED, EntryStatus.DRAFT):
        raise ValueError(f"status {status!r}: published or draft")
    report = ImportReport()
    categories = {c.slug: c for c in Category.objects.filter(is_active=True)}
    forums = _Forums()
    now = timezone.now()
    done = 0
    with transaction.atomic():
        for start in range(0, len(rows), BATCH):
            chunk = rows[start:start + BATCH]
            existing = Entry.objects.select_for_update().in_bulk(
                [r.external_id for r in chunk], field_name="external_id"
            )
            to_create: list[Entry] = []
            to_update: list[Entry] = []
            for row in chunk:
                entry = existing.get(row.external_id)
                if entry is None:
                    entry = Entry(external_id=row.external_id, source=EntrySource.IMPORT, status=status,
                                  created_at=now, updated_at=now, published_at=now if status == "published" else None)
                    report.masked += _fill(entry, row, categories, forums)
                    to_create.append(entry)
                    continue
                before = _snapshot(entry)
                report.masked += _fill(entry, row, categories, forums)
                if entry.status != EntryStatus.ARCHIVED:
                    entry.status = status
                    if status == EntryStatus.PUBLISHED:
                        entry.review_requested_at = None
                        entry.published_at = entry.published_at or now
                if _snapshot(entry) == before:
                    report.unchanged += 1
                else:
                    entry.updated_at = now
                    to_update.append(entry)
            created = Entry.objects.bulk_create(to_create)
            if to_update:
                Entry.objects.bulk_update(to_update, [
                    "title", "slug", "question", "question_html", "answer", "answer_html", "category", "tags",
                    "versions", "origin_region", "forum", "solved_at", "status", "review_requested_at",
                    "published_at", "mask_findings", "updated_at",
                ])
            changed = [e.pk for e in created] + [e.pk for e in to_update]
            report.created += len(created)
            report.updated += len(to_update)
            report.ids += changed
            sync_entries(changed)
            done += len(chunk)
            if progress is not None:
                progress(done)
        # On an engine the sync above is an outbox job; index right after commit too, so that the command
        # returns with its entries searchable (the job stays the guarantee if the engine is down).
        transaction.on_commit(lambda: index_now(DOC_TYPE, report.ids))
    return report


def run(data: bytes, *, status: str = EntryStatus.PUBLISHED, skip_invalid: bool = False,
        progress: Callable[[int], None] | None = None, on_parsed: Callable[[Parsed], None] | None = None) -> ImportReport:
    parsed = parse(data)
    if not parsed.rows and not parsed.errors:
        raise ImportFailed([LineError(0, _("berkas kosong: tidak ada satu pun baris JSON"))])
    if parsed.errors and not skip_invalid:
        raise ImportFailed(parsed.errors)
    if on_parsed is not None:
        on_parsed(parsed)
    report = import_rows(parsed.rows, status=status, progress=progress)
    report.skipped = parsed.errors
    return report
