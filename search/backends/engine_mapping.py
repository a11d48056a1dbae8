"""The engine index: its settings, mapping and version, and how a `Document` becomes an engine document.

The text is analysed in Python by `search.analysis`, exactly as for the database backends, and indexed
pre-analysed: the field `terms` holds one whitespace-separated token per word position, whose alternatives
are joined by `|` (`surat_ket_kelahiran|surat|ket|lahir`). The engine's `terms` analyzer splits on whitespace
and a `pattern_capture` filter emits every alternative *at the same position*, so identifiers keep their parts,
phrases keep their positions, and a query group such as `tdk|tidak` becomes one blended (synonym) term in the
engine's BM25. The title is indexed twice into `terms` (tf weight 2, as in `search.scoring`).

`title` and `body` are also analysed by the engine itself with its `indonesian` stemmer (the `id_text`
analyzer): a secondary, low-weight signal that catches word forms the Python stemmer does not conflate.

Any change to `index_body()` or to `to_source()` that changes what is indexed must bump MAPPING_VERSION: a
running index of another version is then reported (system check, /readyz) and served from the database
until `manage.py search_reindex` has built a new index.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC
from typing import Any

from ..analysis import AnalyzedText, analyze
from ..types import Document, normalize_version

MAPPING_VERSION = 1
MAX_BODY_GROUPS = 5000
ACCEPTED_BOOST = 1.15
VOTES_BOOST = 0.05
FRESHNESS_BOOST = 0.1
FRESHNESS_HALF_LIFE_DAYS = 365


def static_boost(doc: Document) -> float:
    """Accepted answers x1.15, helpful votes x(1 + 0.05 ln(1 + votes)): as `search.scoring.boost`."""
    factor = ACCEPTED_BOOST if doc.accepted else 1.0
    if doc.helpful_votes > 0:
        factor *= 1.0 + VOTES_BOOST * math.log1p(doc.helpful_votes)
    return round(factor, 6)


def _analysis() -> dict[str, Any]:
    return {
        "filter": {
            # `a|b|c` -> a, b, c at one position (alternatives of one word).
            "term_groups": {"type": "pattern_capture", "preserve_original": False, "patterns": ["([^|]+)"]},
            "id_stemmer": {"type": "stemmer", "language": "indonesian"},
        },
        "analyzer": {
            "terms": {"type": "custom", "tokenizer": "whitespace", "filter": ["term_groups"]},
            "id_text": {"type": "custom", "tokenizer": "standard",
                        "filter": ["lowercase", "asciifolding", "id_stemmer"]},
        },
    }


def _properties() -> dict[str, Any]:
    keyword = {"type": "keyword"}
    stored = {"type": "keyword", "index": False, "doc_values": False}
    return {
        "doc_type": keyword,
        "doc_id": keyword,
        "external_id": keyword,
        "url": stored,
        "title": {"type": "text", "analyzer": "id_text"},
        "body": {"type": "text", "analyzer": "id_text"},
        "terms": {"type": "text", "analyzer": "terms"},
        # Words as written, for typo correction (the term suggester); one per document.
        "words": {"type": "text", "analyzer": "whitespace", "norms": False, "index_options": "docs"},
        "category": keyword,
        "region_code": keyword,
        # "52.03.15.2001" -> 52, 52.03, 52.03.15, 52.03.15.2001: a region filter is one term.
        "region_path": keyword,
        "versions": keyword,
        # "2410.0.0" -> 2410, 2410.0, 2410.0.0: a version filter is one term; documents without versions
        # apply to every version.
        "version_path": keyword,
        "has_versions": {"type": "boolean"},
        "is_public": {"type": "boolean"},
        "audience": keyword,
        "accepted": {"type": "boolean"},
        "helpful_votes": {"type": "integer"},
        "updated_at": {"type": "date"},
        "boost": {"type": "float"},
        "length": {"type": "integer"},
    }


def fingerprint() -> str:
    """A hash of the analysis and mapping: a changed mapping without a version bump is caught too."""
    text = json.dumps({"analysis": _analysis(), "properties": _properties()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def index_body(*, shards: int, replicas: int, refresh_interval: str) -> dict[str, Any]:
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "refresh_interval": refresh_interval,
                "max_result_window": 2000,
            },
            "analysis": _analysis(),
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"app": "sid-helpdesk", "mapping_version": MAPPING_VERSION, "fingerprint": fingerprint()},
            "properties": _properties(),
        },
    }


def doc_key(doc_type: str, doc_id: str) -> str:
    return f"{doc_type}:{doc_id}"


def _prefixes(value: str) -> list[str]:
    parts = value.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts)) if parts[i]]


def to_source(doc: Document) -> dict[str, Any]:
    title = analyze(doc.title)
    body = analyze(doc.body)
    if len(body.groups) > MAX_BODY_GROUPS:
        body = AnalyzedText(body.groups[:MAX_BODY_GROUPS], body.words)
    versions = sorted({normalize_version(v) for v in doc.versions if v})
    title_terms = title.serialize()
    updated = doc.updated_at
    if updated is not None and updated.tzinfo is None:
        updated = updated.replace(tzinfo=UTC)
    return {
        "doc_type": doc.doc_type,
        "doc_id": doc.doc_id,
        "external_id": doc.external_id,
        "url": doc.url,
        "title": doc.title,
        "body": doc.body,
        "terms": [title_terms, title_terms, body.serialize()],
        "words": " ".join(sorted(title.words | body.words)),
        "category": doc.category,
        "region_code": doc.region_code,
        "region_path": _prefixes(doc.region_code) if doc.region_code else [],
        "versions": versions,
        "version_path": sorted({p for v in versions for p in _prefixes(v)}),
        "has_versions": bool(versions),
        "is_public": doc.is_public,
        "audience": list(doc.audience),
        "accepted": doc.accepted,
        "helpful_votes": doc.helpful_votes,
        "updated_at": updated.isoformat() if updated is not None else None,
        "boost": static_boost(doc),
        "length": len(title.groups) + len(body.groups),
    }
