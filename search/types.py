"""The plain values that cross the search seam: what gets indexed, what gets asked, what comes back.

Upper layers build `Document`s and `SearchQuery`s and read `SearchResults`; they never see a backend's rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

MAX_LIMIT = 50
MAX_OFFSET = 1000
# Longer queries are not an error: only their first MAX_QUERY_CHARS characters are analysed (the API may still
# answer 413 for absurd sizes before calling us).
MAX_QUERY_CHARS = 1000
MAX_QUERY_TERMS = 32

_KEY = re.compile(r"^[a-z0-9][a-z0-9:.\-]{0,63}$")
_VERSION = re.compile(r"^v?[0-9][0-9a-z.\-]{0,31}$")
_REGION = re.compile(r"^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


class SearchQueryError(ValueError):
    """A query the caller must fix (the API answers 400 with `field` named)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def normalize_version(value: str) -> str:
    """`v24.10`, `V2410.0.0` -> `24.10`, `2410.0.0`: what both the index and a filter compare."""
    value = value.strip().lower()
    return value[1:] if value.startswith("v") else value


def valid_audience_key(key: str) -> bool:
    return bool(_KEY.match(key))


@dataclass(frozen=True)
class Document:
    """One searchable thing. `doc_type` + `doc_id` identify it; indexing the same pair again replaces it."""

    doc_type: str
    doc_id: str
    title: str
    body: str = ""
    external_id: str = ""
    url: str = ""
    category: str = ""
    region_code: str = ""
    versions: tuple[str, ...] = ()
    is_public: bool = True
    # Who may see a non-public document: opaque keys such as "forum:3". A query that carries one of them
    # sees it. Public documents ignore this.
    audience: tuple[str, ...] = ()
    accepted: bool = False
    helpful_votes: int = 0
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if not _SLUG.match(self.doc_type):
            raise ValueError(f"doc_type {self.doc_type!r}: lowercase slug expected")
        if not self.doc_id or len(self.doc_id) > 64:
            raise ValueError("doc_id: 1 to 64 characters")
        for key in self.audience:
            if not valid_audience_key(key):
                raise ValueError(f"audience key {key!r}: lowercase letters, digits, ':', '.', '-'")
        for version in self.versions:
            if not _VERSION.match(normalize_version(version) or "x"):
                raise ValueError(f"version {version!r} is not an OpenSID version")


@dataclass(frozen=True)
class SearchQuery:
    """A search request, validated on construction: a bad value raises `SearchQueryError` (a 400)."""

    text: str
    limit: int = 10
    offset: int = 0
    doc_types: tuple[str, ...] = ()
    category: str = ""
    region: str = ""
    version: str = ""
    audiences: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not isinstance(self.limit, int) or not 1 <= self.limit <= MAX_LIMIT:
            raise SearchQueryError("limit", f"must be between 1 and {MAX_LIMIT}")
        if not isinstance(self.offset, int) or not 0 <= self.offset <= MAX_OFFSET:
            raise SearchQueryError("offset", f"must be between 0 and {MAX_OFFSET}")
        for doc_type in self.doc_types:
            if not _SLUG.match(doc_type):
                raise SearchQueryError("doc_type", "unknown type")
        if self.category and not _SLUG.match(self.category):
            raise SearchQueryError("category", "not a category slug")
        if self.region and not _REGION.match(self.region):
            raise SearchQueryError("region", "not a region code such as 52.03")
        if self.version and not _VERSION.match(normalize_version(self.version) or "x"):
            raise SearchQueryError("version", "not an OpenSID version such as 2410.0.0")
        for key in self.audiences:
            if not valid_audience_key(key):
                raise SearchQueryError("audiences", f"bad key {key!r}")

    @property
    def normalized_version(self) -> str:
        return normalize_version(self.version) if self.version else ""


@dataclass(frozen=True)
class SearchHit:
    id: int
    doc_type: str
    doc_id: str
    external_id: str
    title: str
    # HTML-safe: the text is escaped and only <mark>...</mark> is added around matched words.
    title_html: str
    snippet: str
    url: str
    score: float
    category: str = ""
    region_code: str = ""


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    # Matching documents the caller may see, counted up to a cap (`total_capped` says when it was reached).
    total: int
    backend: str
    fallback: bool = False
    total_capped: bool = False
    took_ms: float = 0.0
    # The terms that were searched after analysis (synonyms, typo corrections): for "did you mean" and debugging.
    terms: tuple[str, ...] = ()
