"""Text for Telegram: visible length as Telegram counts it, splitting at sensible places, plain fallback.

Telegram limits the *visible* text (after HTML is parsed) to 4096 UTF-16 code units. Splitting HTML must
not cut a tag or an entity in two: tags open at a cut are closed at the end of one part and opened again
at the start of the next.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>")
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_KNOWN_TAGS = r"b|strong|i|em|u|ins|s|strike|del|a|code|pre|blockquote|tg-spoiler|span|tg-emoji"
_STRIP_TAGS = re.compile(rf"</?(?:{_KNOWN_TAGS})(?:\s[^<>]*)?>", re.IGNORECASE)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Escape user-provided text for parse_mode=HTML."""
    return html.escape(text, quote=False)


def cut(text: str, limit: int) -> str:
    """`text` shortened to `limit` characters at a word where possible, with "…" when something was cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit * 0.8:
        head = head[:space]
    return head.rstrip() + "…"


_SUPPORTED = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "blockquote"}
_RENAMED = {"mark": "b"}


def telegram_html(fragment: str) -> str:
    """An HTML fragment from elsewhere (a search snippet with <mark>) made safe for Telegram: supported tags
    kept (<mark> becomes <b>), others dropped, attributes dropped, text re-escaped once."""
    out: list[str] = []
    pos = 0
    for match in _TAG.finditer(fragment):
        out.append(escape(html.unescape(fragment[pos : match.start()])))
        name = _RENAMED.get(match.group(2).lower(), match.group(2).lower())
        if name in _SUPPORTED:
            out.append(f"<{match.group(1)}{name}>")
        pos = match.end()
    out.append(escape(html.unescape(fragment[pos:])))
    return "".join(out)


def html_to_plain(text: str) -> str:
    """What a reader should see when Telegram refuses the HTML: the tags dropped, entities decoded."""
    return html.unescape(_STRIP_TAGS.sub("", text))


def markdown_v2_to_plain(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def to_plain(text: str, parse_mode: str | None) -> str:
    mode = (parse_mode or "").lower()
    if mode == "html":
        return html_to_plain(text)
    if mode == "markdownv2":
        return markdown_v2_to_plain(text)
    return text


def visible_length(text: str, parse_mode: str | None) -> int:
    return sum(unit.width for unit in _units(text, parse_mode))


@dataclass
class _Unit:
    raw: str
    width: int  # visible UTF-16 units
    tag: str = ""  # tag name for tags
    closing: bool = False


def _units(text: str, parse_mode: str | None) -> list[_Unit]:
    if (parse_mode or "").lower() != "html":
        if (parse_mode or "").lower() == "markdownv2":
            units: list[_Unit] = []
            i = 0
            while i < len(text):
                if text[i] == "\\" and i + 1 < len(text):
                    units.append(_Unit(text[i : i + 2], utf16_len(text[i + 1])))
                    i += 2
                else:
                    units.append(_Unit(text[i], utf16_len(text[i])))
                    i += 1
            return units
        return [_Unit(ch, utf16_len(ch)) for ch in text]
    units = []
    i = 0
    while i < len(text):
        if text[i] == "<":
            match = _TAG.match(text, i)
            if match:
                units.append(_Unit(match.group(0), 0, tag=match.group(2).lower(), closing=bool(match.group(1))))
                i = match.end()
                continue
        if text[i] == "&":
            match = _ENTITY.match(text, i)
            if match:
                units.append(_Unit(match.group(0), utf16_len(html.unescape(match.group(0)))))
                i = match.end()
                continue
        units.append(_Unit(text[i], utf16_len(text[i])))
        i += 1
    return units


def _break_rank(units: list[_Unit], index: int) -> int:
    """How good a cut after units[index] is: paragraph 4, line 3, sentence 2, word 1, nothing 0."""
    raw = units[index].raw
    if raw == "\n":
        return 4 if index > 0 and units[index - 1].raw == "\n" else 3
    if raw == " ":
        before = units[index - 1].raw if index > 0 else ""
        return 2 if before in {".", "!", "?", ":", ";"} else 1
    return 0


def split_text(text: str, parse_mode: str | None = "HTML", limit: int = 4096) -> list[str]:
    """Cut `text` into parts of at most `limit` visible characters each, at the best break available."""
    units = _units(text, parse_mode)
    if sum(u.width for u in units) <= limit:
        return [text]
    html_mode = (parse_mode or "").lower() == "html"
    parts: list[str] = []
    open_tags: list[_Unit] = []  # start tags open at the start of the current part
    start = 0
    while start < len(units):
        width = 0
        end = start
        best: tuple[int, int] | None = None  # (rank, index)
        while end < len(units) and width + units[end].width <= limit:
            width += units[end].width
            rank = _break_rank(units, end)
            # Prefer the best kind of break, and among equals the latest; never a cut in the first fifth.
            if rank and width >= limit // 5 and (best is None or rank >= best[0]):
                best = (rank, end)
            end += 1
        if end < len(units) and best is not None:
            end = best[1] + 1
        chunk_units = units[start:end]
        prefix = "".join(u.raw for u in open_tags)
        stack = list(open_tags)
        if html_mode:
            for unit in chunk_units:
                if unit.tag and not unit.closing:
                    stack.append(unit)
                elif unit.tag and unit.closing and stack:
                    stack.pop()
        body = prefix + "".join(u.raw for u in chunk_units)
        suffix = "".join(f"</{u.tag}>" for u in reversed(stack)) if end < len(units) else ""
        piece = (body + suffix).strip("\n ") if not suffix else body.rstrip("\n ") + suffix
        if piece.strip():
            parts.append(piece)
        open_tags = stack
        start = end
        while start < len(units) and units[start].raw in {"\n", " "}:
            start += 1
    return parts
