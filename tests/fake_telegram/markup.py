"""Telegram's text formatting, as the Bot API checks it: HTML and MarkdownV2 to plain text plus entities.

Offsets and lengths are in UTF-16 code units, as Telegram counts them (an emoji counts two). Broken markup
raises `ParseError` with Telegram's own wording, which the server turns into
`400 Bad Request: can't parse entities: ...`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any


class ParseError(Exception):
    pass


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR = re.compile(r"""\s*([a-zA-Z-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")


@dataclass
class _Open:
    name: str
    start: int  # UTF-16 offset in the output
    attrs: dict[str, str] = field(default_factory=dict)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    pos16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    i = 0
    n = len(source)

    def byte_offset(index: int) -> int:
        return len(source[:index].encode("utf-8"))

    def emit(text: str) -> None:
        nonlocal pos16
        out.append(text)
        pos16 += utf16_len(text)

    while i < n:
        ch = source[i]
        if ch == "<":
            end = source.find(">", i)
            if end < 0:
                raise ParseError(f"Unclosed start tag at byte offset {byte_offset(i)}")
            body = source[i + 1 : end]
            if body.startswith("/"):
                name = body[1:].strip().lower()
                if not stack:
                    raise ParseError(f"Unexpected end tag at byte offset {byte_offset(i)}")
                top = stack.pop()
                if top.name != name:
                    raise ParseError(f'Can\'t find end tag corresponding to start tag "{top.name}"')
                length = pos16 - top.start
                if length:
                    entity: dict[str, Any] = {"type": HTML_TAGS[top.name], "offset": top.start, "length": length}
                    if top.name == "a":
                        entity["url"] = top.attrs.get("href", "")
                    if top.name == "pre" and "language" in top.attrs:
                        entity["language"] = top.attrs["language"]
                    entities.append(entity)
            else:
                match = re.match(r"[a-zA-Z][a-zA-Z0-9-]*", body)
                name = match.group(0).lower() if match else ""
                if name not in HTML_TAGS:
                    raise ParseError(f'Unsupported start tag "{name}" at byte offset {byte_offset(i)}')
                attrs = {
                    m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
                    for m in _ATTR.finditer(body[len(name) :])
                    if m.group(1)
                }
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise ParseError(f'Unsupported start tag "span" at byte offset {byte_offset(i)}')
                if name == "a" and not attrs.get("href"):
                    raise ParseError(f"Can't parse URL in a tag at byte offset {byte_offset(i)}")
                stack.append(_Open(name=name, start=pos16, attrs={k: html.unescape(v) for k, v in attrs.items()}))
            i = end + 1
        elif ch == "&":
            match = re.match(r"&(#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);", source[i:])
            if match:
                ref = match.group(1)
                if ref.startswith("#x"):
                    emit(chr(int(ref[2:], 16)))
                elif ref.startswith("#"):
                    emit(chr(int(ref[1:])))
                elif ref in _NAMED:
                    emit(_NAMED[ref])
                else:
                    emit(match.group(0))  # unsupported named entities stay as they are
                i += len(match.group(0))
            else:
                emit("&")
                i += 1
        elif ch == ">":
            emit(">")
            i += 1
        else:
            j = i
            while j < n and source[j] not in "<&>":
                j += 1
            emit(source[i:j])
            i = j
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return "".join(out), sorted(entities, key=lambda e: (e["offset"], -e["length"]))


MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD_MARKS = [("```", "pre"), ("||", "spoiler"), ("__", "underline"), ("*", "bold"), ("_", "italic"),
             ("~", "strikethrough"), ("`", "code")]
_MD_NAMES = {"bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough": "Strikethrough",
             "spoiler": "Spoiler", "code": "Code", "pre": "Pre", "text_link": "TextUrl"}


def parse_markdown_v2(source: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    pos16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, int, int]] = []  # (type, utf16 start, byte offset)
    i = 0
    n = len(source)

    def byte_offset(index: int) -> int:
        return len(source[:index].encode("utf-8"))

    def emit(text: str) -> None:
        nonlocal pos16
        out.append(text)
        pos16 += utf16_len(text)

    def close(kind: str) -> None:
        _, start, _ = stack.pop()
        if pos16 - start:
            entities.append({"type": kind, "offset": start, "length": pos16 - start})

    while i < n:
        ch = source[i]
        in_code = bool(stack) and stack[-1][0] in {"code", "pre"}
        if ch == "\\":
            if i + 1 >= n:
                raise ParseError("Character '\\' is reserved and must be escaped with the preceding '\\'")
            emit(source[i + 1])
            i += 2
            continue
        if in_code:
            mark = "```" if stack[-1][0] == "pre" else "`"
            if source.startswith(mark, i):
                close(stack[-1][0])
                i += len(mark)
            else:
                emit(ch)
                i += 1
            continue
        if ch == "[":
            stack.append(("text_link", pos16, byte_offset(i)))
            i += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "text_link":
            match = re.match(r"\]\(((?:[^)\\]|\\.)*)\)", source[i:])
            if not match:
                raise ParseError(f"Can't find end of TextUrl entity at byte offset {stack[-1][2]}")
            _, start, _ = stack.pop()
            if pos16 - start:
                url = re.sub(r"\\(.)", r"\1", match.group(1))
                entities.append({"type": "text_link", "offset": start, "length": pos16 - start, "url": url})
            i += len(match.group(0))
            continue
        for mark, kind in _MD_MARKS:
            if source.startswith(mark, i):
                if stack and stack[-1][0] == kind:
                    close(kind)
                else:
                    stack.append((kind, pos16, byte_offset(i)))
                i += len(mark)
                break
        else:
            if ch in MDV2_RESERVED:
                raise ParseError(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
            emit(ch)
            i += 1
    if stack:
        kind, _, offset = stack[-1]
        raise ParseError(f"Can't find end of {_MD_NAMES.get(kind, kind)} entity at byte offset {offset}")
    return "".join(out), sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def parse(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":  # the legacy mode: lenient, markers are dropped
        return re.sub(r"[*_`]", "", text), []
    if mode:
        raise ParseError(f"Unsupported parse_mode {parse_mode!r}")
    return text, []


COMMAND = re.compile(r"(?<![\w/])/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{3,32})?")


def command_entities(text: str) -> list[dict[str, Any]]:
    """The `bot_command` entities Telegram attaches to a user's text."""
    result = []
    for match in COMMAND.finditer(text):
        result.append({
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group(0)),
        })
    return result
