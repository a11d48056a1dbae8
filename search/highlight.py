"""Highlighted snippets: escape everything, then wrap matched words in <mark>. Shared by every backend.

A page of results marks the same question's terms in twenty texts (ten titles, ten bodies) that share most of
their words: `Highlighter` decides once per word whether it matches, for the whole page.
"""

from __future__ import annotations

from html import escape as escape_text

from django.utils.html import escape

from .analysis import raw_spans, word_group

SNIPPET_WORDS = 30

_NONE: frozenset[str] = frozenset()
# (start, end, the query terms this word matches: empty when none)
Span = tuple[int, int, frozenset[str]]


class Highlighter:
    """Marks one query's `terms` in any number of texts."""

    def __init__(self, terms: frozenset[str]) -> None:
        self.terms = terms
        self._seen: dict[str, frozenset[str]] = {}

    def _match(self, token: str) -> frozenset[str]:
        group = word_group(token)
        terms = self.terms
        matched = terms.intersection(group) if any(t in terms for t in group) else _NONE
        self._seen[token] = matched
        return matched

    def spans(self, text: str) -> list[Span]:
        seen = self._seen
        out = []
        for start, end, token in raw_spans(text):
            matched = seen.get(token)
            out.append((start, end, self._match(token) if matched is None else matched))
        return out

    def highlight(self, text: str) -> str:
        """The whole text, HTML-escaped, matched words marked (for titles)."""
        return _render(text, self.spans(text), 0, len(text))

    def snippet(self, text: str, words: int = SNIPPET_WORDS) -> str:
        """The window of `words` words with the most distinct matched terms, HTML-escaped and marked."""
        spans = self.spans(text)
        if not spans:
            return escape(text[:200])
        best = _best_window(spans, words)
        # Start a little before the first match so the reader gets some context.
        window = spans[best : best + words]
        end_index = min(len(spans), best + words) - 1
        start = 0 if best == 0 else spans[best][0]
        end = len(text) if end_index == len(spans) - 1 else spans[end_index][1]
        html = _render(text, window, start, end)
        if start > 0:
            html = "… " + html
        if end < len(text):
            html += " …"
        return html.strip()


def _best_window(spans: list[Span], words: int) -> int:
    """Where the first window of `words` spans with the most distinct matched terms starts: slide the window,
    counting its distinct matched terms."""
    counts: dict[str, int] = {}

    def add(found: frozenset[str], step: int) -> None:
        for term in found:
            left = counts.get(term, 0) + step
            if left:
                counts[term] = left
            else:
                del counts[term]

    for span in spans[:words]:
        if span[2]:
            add(span[2], 1)
    best, best_score = 0, len(counts)
    for i in range(1, max(1, len(spans) - words + 1)):
        leaving, entering = spans[i - 1][2], spans[i + words - 1][2]
        if not leaving and not entering:
            continue  # nothing changes: the count is the one of the window before, which did not win
        if leaving:
            add(leaving, -1)
        if entering:
            add(entering, 1)
        if len(counts) > best_score:
            best, best_score = i, len(counts)
    return best


def _render(text: str, spans: list[Span], start: int, end: int) -> str:
    # The standard library's escape, which Django's wraps (same text) with a lazy-string check per call: a page
    # renders some hundred pieces.
    out: list[str] = []
    cursor = start
    for s, e, matched in spans:
        if matched and s >= start and e <= end:
            out.append(escape_text(text[cursor:s]))
            out.append(f"<mark>{escape_text(text[s:e])}</mark>")
            cursor = e
    out.append(escape_text(text[cursor:end]))
    return "".join(out)


def highlight(text: str, terms: frozenset[str]) -> str:
    """The whole text, HTML-escaped, matched words marked (for titles)."""
    return Highlighter(terms).highlight(text)


def snippet(text: str, terms: frozenset[str], words: int = SNIPPET_WORDS) -> str:
    """The window of `words` words with the most distinct matched terms, HTML-escaped and marked."""
    return Highlighter(terms).snippet(text, words)
