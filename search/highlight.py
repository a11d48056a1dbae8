"""Highlighted snippets: escape everything, then wrap matched words in <mark>. Shared by every backend."""

from __future__ import annotations

from django.utils.html import escape

from .analysis import iter_raw_spans, word_group

SNIPPET_WORDS = 30


def _spans(text: str, terms: frozenset[str]) -> list[tuple[int, int, bool, frozenset[str]]]:
    spans = []
    for start, end, token in iter_raw_spans(text):
        matched = frozenset(word_group(token)) & terms
        spans.append((start, end, bool(matched), matched))
    return spans


def _render(text: str, spans: list[tuple[int, int, bool, frozenset[str]]], start: int, end: int) -> str:
    out: list[str] = []
    cursor = start
    for s, e, matched, _ in spans:
        if s < start or e > end:
            continue
        if matched:
            out.append(escape(text[cursor:s]))
            out.append(f"<mark>{escape(text[s:e])}</mark>")
            cursor = e
    out.append(escape(text[cursor:end]))
    return "".join(out)


def highlight(text: str, terms: frozenset[str]) -> str:
    """The whole text, HTML-escaped, matched words marked (for titles)."""
    return _render(text, _spans(text, terms), 0, len(text))


def snippet(text: str, terms: frozenset[str], words: int = SNIPPET_WORDS) -> str:
    """The window of `words` words with the most distinct matched terms, HTML-escaped and marked."""
    spans = _spans(text, terms)
    if not spans:
        return escape(text[:200])
    best, best_score = 0, -1
    for i in range(max(1, len(spans) - words + 1)):
        window = spans[i : i + words]
        seen: set[str] = set()
        for _, _, matched, found in window:
            if matched:
                seen |= found
        score = len(seen)
        if score > best_score:
            best, best_score = i, score
    # Start a little before the first match so the reader gets some context.
    first = best
    window = spans[best : best + words]
    end_index = min(len(spans), best + words) - 1
    start = 0 if first == 0 else spans[first][0]
    end = len(text) if end_index == len(spans) - 1 else spans[end_index][1]
    html = _render(text, window, start, end)
    if start > 0:
        html = "… " + html
    if end < len(text):
        html += " …"
    return html.strip()
