"""Kemendagri region codes: `52` provinsi, `52.03` kabupaten/kota, `52.03.15` kecamatan, `52.03.15.2001` desa.

A code is its own materialised path: every ancestor's code is a prefix, so the ancestors of a region are
known without a query and its descendants are one `LIKE 'code.%'` away.
"""

from __future__ import annotations

import re

CODE_RE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")

LEVEL_PROVINCE, LEVEL_REGENCY, LEVEL_DISTRICT, LEVEL_VILLAGE = 1, 2, 3, 4

# Province → time zone. WIB (UTC+7): Sumatra, Java, West and Central Kalimantan. WITA (UTC+8): Bali, Nusa
# Tenggara, South/East/North Kalimantan, Sulawesi. WIT (UTC+9): Maluku and Papua.
WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
_WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96"}
ZONE_LABELS = {WIB: "WIB", WITA: "WITA", WIT: "WIT"}


def is_valid_code(code: str) -> bool:
    return bool(CODE_RE.match(code))


def normalize_code(raw: str) -> str:
    """Accept `5203012001`, `52.03.01.2001` or `52 03 01 2001`; return the dotted form (or '' if hopeless)."""
    raw = (raw or "").strip()
    if "." in raw:
        return raw if is_valid_code(raw) else ""
    digits = re.sub(r"\D", "", raw)
    if len(digits) not in (2, 4, 6, 10):
        return ""
    return ".".join(p for p in (digits[0:2], digits[2:4], digits[4:6], digits[6:10]) if p)


def level_of(code: str) -> int:
    return code.count(".") + 1


def parent_code(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


def ancestor_codes(code: str, *, include_self: bool = False) -> list[str]:
    """Nearest first: `52.03.15.2001` → [`52.03.15`, `52.03`, `52`]."""
    parts = code.split(".")
    start = len(parts) if include_self else len(parts) - 1
    return [".".join(parts[:i]) for i in range(start, 0, -1)]


def timezone_of(code: str) -> str:
    province = code[:2]
    if province in _WIT_PROVINCES:
        return WIT
    if province in _WITA_PROVINCES:
        return WITA
    return WIB


# Short province names used in ticket numbers (`NTB-000123`).
PROVINCE_ABBREVIATIONS = {
    "11": "ACEH", "12": "SUMUT", "13": "SUMBAR", "14": "RIAU", "15": "JAMBI", "16": "SUMSEL", "17": "BKL",
    "18": "LPG", "19": "BABEL", "21": "KEPRI", "31": "DKI", "32": "JABAR", "33": "JATENG", "34": "DIY",
    "35": "JATIM", "36": "BANTEN", "51": "BALI", "52": "NTB", "53": "NTT", "61": "KALBAR", "62": "KALTENG",
    "63": "KALSEL", "64": "KALTIM", "65": "KALTARA", "71": "SULUT", "72": "SULTENG", "73": "SULSEL",
    "74": "SULTRA", "75": "GTLO", "76": "SULBAR", "81": "MALUKU", "82": "MALUT", "91": "PAPUA", "92": "PABAR",
    "93": "PAPSEL", "94": "PAPTENG", "95": "PAPPEG", "96": "PBD",
}


def province_abbreviation(code: str) -> str:
    return PROVINCE_ABBREVIATIONS.get(code[:2], f"P{code[:2]}")
