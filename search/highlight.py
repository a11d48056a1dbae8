"""Highlighted snippets: escape everything, then wrap matched words in <mark>. Shared by every backend."""

from __future__ import annotations

from django.utils.html import escape

from .analysis import iter_raw_spans, word_group

SNIPPET_WORDS = 30


_NONE: frozenset[str] = frozenset()


def _spans(text: str, terms: frozenset[str]) -> list[tuple[int, int, bool, frozenset[str]]]:
    spans = []
    seen: dict[str, frozenset[str]] = {}  # a word repeats often in one text: match it once
    for start, end, token in iter_raw_spans(text):
        matched = seen.get(token)
        if matched is None:
            group = word_group(token)
            matched = terms.intersection(group) if any(t in terms for t in group) else _NONE
            seen[token] = matched
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
    # Slide a window of `words` spans, counting its distinct matched terms; the first best window wins.
    counts: dict[str, int] = {}

    def add(found: frozenset[str], step: int) -> None:
        for term in found:
            left = counts.get(term, 0) + step
            if left:
                counts[term] = left
            else:
                del counts[term]

    for span in spans[:words]:
        add(span[3], 1)
    best, best_score = 0, len(counts)
    for i in range(1, max(1, len(spans) - words + 1)):
        add(spans[i - 1][3], -1)
        add(spans[i + words - 1][3], 1)
        if len(counts) > best_score:
            best, best_score = i, len(counts)
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
