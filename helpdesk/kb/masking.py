"""Personal data out of knowledge-base text before anyone outside the ticket sees it (UU PDP 27/2022).

Detection is lokal-id's `detect_pii` plus what it misses in helpdesk text: NIK/KK numbers written in groups
with dots, spaces or dashes (`5203.0123.4567.0002`), landline numbers without brackets (`0370-123456`), and
the names and usernames of the accounts on the source ticket. Each distinct value gets one placeholder such as
`[NIK_1]` or `[NAMA_2]`, the same in the title, question and answer, so the text still reads as a dialogue.

`mask_entry_text` is the one function every write path calls. It takes the previous findings, so that an
edit keeps the numbering, masks again what the editor re-checked, restores what they chose to keep, and adds
whatever new personal data the edit brought in.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _
from lokal import PiiType, detect_pii

Profile = Literal["review", "import"]

# lokal-id types that identify or contact a person. Its attribute words (religion, marital status, health,
# gender, ...) are left alone: alone they identify nobody, and OpenSID's own vocabulary is full of them
# ("status kawin", "ibu hamil", "kolom agama"), so masking them would break the answers.
IDENTIFYING_TYPES: tuple[PiiType, ...] = (
    "NIK", "KK", "NPWP", "PASSPORT", "SIM", "NIP", "BPJS", "NISN", "AKTA", "PHONE", "EMAIL", "BANK_ACCOUNT",
    "CARD", "PLATE", "BIRTH_DATE",
)
# Guesses that need a person's eye: names found by honorifics ("Pak Hendra"), street addresses, public IPs and
# coordinates. Used when a volunteer edits the entry (the editor lists them); an unattended import skips them,
# because on real release notes lokal's name guesses are mostly ordinary words ("luar desa", "selain istri").
REVIEW_TYPES: tuple[PiiType, ...] = ("NAME", "ADDRESS", "IP", "GEO")

LABELS: dict[str, Any] = {
    "NIK": _("NIK"),
    "KK": _("Nomor KK"),
    "PHONE": _("Nomor telepon"),
    "EMAIL": _("Alamat surel"),
    "NAME": _("Nama"),
    "ADDRESS": _("Alamat"),
    "BIRTH_DATE": _("Tanggal lahir"),
    "NPWP": _("NPWP"),
    "BANK_ACCOUNT": _("Nomor rekening"),
    "IP": _("Alamat IP"),
}
PLACEHOLDER_TAGS = {"KK": "NO_KK", "PHONE": "NO_HP", "NAME": "NAMA", "ADDRESS": "ALAMAT", "BIRTH_DATE": "TGL_LAHIR",
                    "BANK_ACCOUNT": "NO_REK"}
PLACEHOLDER = re.compile(r"\[([A-Z_]+)_(\d+)\]")

# 16 digits in any grouping: 5203012345670002, 5203.0123.4567.0002, 5203 0123 4567 0002, 520301-234567-0002.
_SIXTEEN_DIGITS = re.compile(r"(?<![\w.\-/])\d(?:[ .\-]?\d){15}(?![\w]|[.\-/]\d)")
_KK_CONTEXT = re.compile(r"(?:\bkk|kartu\s+keluarga|\bno\.?\s*kk)\W{0,12}$", re.IGNORECASE)
# Mobile numbers: 08xx / 628xx / +62 8xx with any single separators, 10 to 13 digits in all.
_MOBILE = re.compile(r"(?<![\w+])(?:\+62|62|0)[ .\-]?\(?8\d{1,2}\)?(?:[ .\-]?\d){6,9}(?!\d)")
# Landlines: (0370) 123456, 0370-123456, 0370 123 456, 021-7654321, +62 370 123456.
_LANDLINE = re.compile(
    r"(?<![\w+])(?:\(0[2-9]\d{1,2}\)|0[2-9]\d{1,2}|\+62[ .\-]?\(?[2-9]\d{1,2}\)?)[ .\-]?\d{3,4}[ .\-]?\d{2,4}(?!\d)"
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Parts of a name that are also ordinary words, titles or roles: never masked on their own.
_NAME_PART_STOPWORDS = frozenset({
    "lalu", "baiq", "lale", "haji", "hajjah", "ibu", "bapak", "pak", "bu", "mas", "mbak", "kak", "adik",
    "admin", "operator", "relawan", "desa", "kepala", "sekretaris", "kasi", "kaur", "kades", "sekdes",
    "staf", "tim", "forum", "sid", "opensid", "bantuan", "user", "pengguna", "warga", "data", "nama"
})


@dataclass(frozen=True)
class Finding:
    """One masked value: what it was, what replaced it, and whether the editor chose to keep it visible."""

    kind: str
    value: str
    placeholder: str
    origin: str = "lokal"  # lokal | pola (our patterns) | akun (an account on the ticket)
    masked: bool = True

    @property
    def label(self) -> str:
        return str(LABELS.get(self.kind, self.kind))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            kind=str(data["kind"]), value=str(data["value"]), placeholder=str(data["placeholder"]),
            origin=str(data.get("origin", "lokal")), masked=bool(data.get("masked", True)),
        )


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str
    value: str
    origin: str


def normalize_value(kind: str, value: str) -> str:
    """The identity of a value, so that `+62 812-3456-7890` and `081234567890` share one placeholder."""
    if kind in ("PHONE",):
        digits = re.sub(r"\D", "", value)
        return "0" + digits[2:] if digits.startswith("62") else digits
    if kind in ("NIK", "KK", "NPWP", "BANK_ACCOUNT", "CARD", "BPJS", "NISN", "NIP"):
        return re.sub(r"\D", "", value)
    return " ".join(value.lower().split())


def _digits(value: str) -> int:
    return sum(ch.isdigit() for ch in value)


def _pattern_spans(text: str) -> list[_Span]:
    spans: list[_Span] = []
    for m in _SIXTEEN_DIGITS.finditer(text):
        kind = "KK" if _KK_CONTEXT.search(text[max(0, m.start() - 30):m.start()]) else "NIK"
        spans.append(_Span(m.start(), m.end(), kind, m.group(), "pola"))
    for m in _MOBILE.finditer(text):
        if 10 <= _digits(m.group()) <= 14:
            spans.append(_Span(m.start(), m.end(), "PHONE", m.group(), "pola"))
    for m in _LANDLINE.finditer(text):
        if 9 <= _digits(m.group()) <= 13:
            spans.append(_Span(m.start(), m.end(), "PHONE", m.group(), "pola"))
    for m in _EMAIL.finditer(text):
        spans.append(_Span(m.start(), m.end(), "EMAIL", m.group().rstrip("."), "pola"))
    return spans


def _is_private_ip(value: str) -> bool:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_unspecified or address.is_reserved


def _lokal_spans(text: str, profile: Profile) -> list[_Span]:
    types = IDENTIFYING_TYPES + (REVIEW_TYPES if profile == "review" else ())
    spans = []
    for m in detect_pii(text, types=types):
        if m.type == "IP" and _is_private_ip(m.value):
            continue  # 127.0.0.1 and 192.168.x.x in a how-to are not anybody's data
        if PLACEHOLDER.fullmatch(m.value.strip()):
            continue
        spans.append(_Span(m.start, m.end, m.type, m.value, "lokal"))
    return spans


def name_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    """Patterns for the people on a ticket: each full name and username (any case), and each distinctive part of
    a name when written capitalised (`Baiq Sri Wahyuni` also finds `Wahyuni` and `Sri`, not the word `lalu`)."""
    full: set[str] = set()
    parts: set[str] = set()
    for raw in names:
        name = " ".join((raw or "").split())
        if len(name) < 3:
            continue
        full.add(name)
        for part in re.split(r"[\s.,_]+", name):
            if len(part) >= 3 and part.lower() not in _NAME_PART_STOPWORDS and not part.isdigit():
                parts.add(part[:1].upper() + part[1:].lower())
    patterns = []
    if full:
        alternatives = "|".join(re.escape(n) for n in sorted(full, key=len, reverse=True))
        patterns.append(re.compile(rf"(?<![\w@.])(?:{alternatives})(?![\w@])", re.IGNORECASE))
    if parts:
        alternatives = "|".join(re.escape(p) for p in sorted(parts, key=len, reverse=True))
        patterns.append(re.compile(rf"(?<![\w@.])(?:{alternatives})(?![\w@])"))
    return patterns


def _name_spans(text: str, patterns: Sequence[re.Pattern[str]]) -> list[_Span]:
    return [_Span(m.start(), m.end(), "NAME", m.group(), "akun") for p in patterns for m in p.finditer(text)]


_ORIGIN_RANK = {"akun": 0, "pola": 1, "lokal": 2}


def _resolve(spans: list[_Span]) -> list[_Span]:
    """Non-overlapping spans, the longest first where they overlap (a full name beats its part); for the same
    span, a known account beats a pattern, which beats a guess."""
    chosen: list[_Span] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start, _ORIGIN_RANK[s.origin])):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


def find_spans(
    text: str, *, profile: Profile = "review", names: Sequence[re.Pattern[str]] = (), allow: Iterable[str] = ()
) -> list[_Span]:
    allowed = {" ".join(a.lower().split()) for a in allow}
    spans = _lokal_spans(text, profile) + _pattern_spans(text) + _name_spans(text, names)
    return [s for s in _resolve(spans) if " ".join(s.value.lower().split()) not in allowed]


@dataclass
class MaskResult:
    fields: dict[str, str]
    findings: list[Finding]
    # Found in this pass, not among the previous findings.
    new: list[Finding]

    @property
    def masked(self) -> list[Finding]:
        return [f for f in self.findings if f.masked]


class _Numbering:
    def __init__(self, findings: Iterable[Finding]) -> None:
        self.by_value: dict[tuple[str, str], Finding] = {}
        self.taken: set[str] = set()
        self.next: dict[str, int] = {}
        for f in findings:
            self.by_value.setdefault((self._family(f.kind), normalize_value(f.kind, f.value)), f)
            self.taken.add(f.placeholder)
            m = PLACEHOLDER.fullmatch(f.placeholder)
            if m:
                self.next[m.group(1)] = max(self.next.get(m.group(1), 1), int(m.group(2)) + 1)

    @staticmethod
    def _family(kind: str) -> str:
        return "NIK" if kind in ("NIK", "KK") else kind

    def get(self, kind: str, value: str) -> Finding | None:
        return self.by_value.get((self._family(kind), normalize_value(kind, value)))

    def add(self, kind: str, value: str, origin: str) -> Finding:
        tag = PLACEHOLDER_TAGS.get(kind, kind)
        n = self.next.get(tag, 1)
        while f"[{tag}_{n}]" in self.taken:
            n += 1
        self.next[tag] = n + 1
        finding = Finding(kind=kind, value=value, placeholder=f"[{tag}_{n}]", origin=origin)
        self.taken.add(finding.placeholder)
        self.by_value[(self._family(kind), normalize_value(kind, value))] = finding
        return finding


def mask_entry_text(
    fields: Mapping[str, str],
    *,
    previous: Sequence[Finding] = (),
    names: Iterable[str] = (),
    profile: Profile = "review",
) -> MaskResult:
    """Mask `fields` (title, question, answer). `previous` are the findings the editor saw, with their choice:
    `masked=False` restores the original value wherever its placeholder stands and leaves that value visible;
    `masked=True` masks the value again wherever the editor typed it back. Anything else personal is new and
    masked. Returns the texts and every finding (old and new), in placeholder order."""
    texts = dict(fields)
    kept = [f for f in previous if not f.masked]
    for f in previous:
        for key, text in texts.items():
            if f.masked:
                texts[key] = _replace_value(text, f.value, f.placeholder)
            else:
                texts[key] = text.replace(f.placeholder, f.value)
    numbering = _Numbering(previous)
    patterns = name_patterns(names)
    findings: dict[str, Finding] = {f.placeholder: f for f in previous}
    new: list[Finding] = []
    for key, text in texts.items():
        out: list[str] = []
        last = 0
        for span in find_spans(text, profile=profile, names=patterns, allow=[f.value for f in kept]):
            existing = numbering.get(span.kind, span.value)
            if existing is not None and not existing.masked:
                continue  # the editor chose to keep this one (a different spelling of it, say)
            finding = existing or numbering.add(span.kind, span.value, span.origin)
            if existing is None:
                new.append(finding)
                findings[finding.placeholder] = finding
            out.append(text[last:span.start])
            out.append(finding.placeholder)
            last = span.end
        out.append(text[last:])
        texts[key] = "".join(out)
    return MaskResult(fields=texts, findings=sorted(findings.values(), key=_placeholder_order), new=new)


def _placeholder_order(f: Finding) -> tuple[str, int]:
    m = PLACEHOLDER.fullmatch(f.placeholder)
    return (m.group(1), int(m.group(2))) if m else (f.placeholder, 0)


def _replace_value(text: str, value: str, placeholder: str) -> str:
    if not value.strip():
        return text
    pattern = re.compile(rf"(?<![\w@]){re.escape(value)}(?![\w@])", re.IGNORECASE)
    return pattern.sub(placeholder, text)


def with_choices(findings: Sequence[Finding], keep: Iterable[str]) -> list[Finding]:
    """The findings with the editor's choice applied: placeholders in `keep` stay visible, the rest masked."""
    keep = set(keep)
    return [replace(f, masked=f.placeholder not in keep) for f in findings]


def findings_from_json(data: Any) -> list[Finding]:
    if not isinstance(data, list):
        return []
    out = []
    for item in data:
        if isinstance(item, Mapping) and {"kind", "value", "placeholder"} <= set(item):
            out.append(Finding.from_dict(item))
    return out


def findings_to_json(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    return [f.as_dict() for f in findings]
