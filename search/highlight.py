"""Highlighted snippets: escape everything, then wrap matched words in <mark>. Shared by every backend.

A page of results marks the same question's terms in twenty texts (ten titles, ten bodies) that share most of
their words: `Highlighter` decides once per word whether it matches, for the whole page.

ASCII text (nearly all) takes a path without a Python step per word where it can: the regular expression splits
the text into words and gaps in one call, the offsets are the running sum of their lengths, each distinct word is
matched once, and the snippet's window slides from one matched word to the next instead of word by word. Other
text (accents to fold, which may move offsets) and words longer than MAX_TOKEN_CHARS take the general path,
`spans()`; both give the same output (tests/search/test_highlight.py compares them).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from html import escape as escape_text
from itertools import accumulate

from django.utils.html import escape

from .analysis import MAX_TOKEN_CHARS, raw_spans, word_group

SNIPPET_WORDS = 30

_NONE: frozenset[str] = frozenset()
# (start, end, the query terms this word matches: empty when none)
Span = tuple[int, int, frozenset[str]]
# The tokenizer with its match captured, for lowercased ASCII text: split() gives gap, word, gap, word, ..., gap.
# It is `analysis._TOKEN` with `[^\W_]` (a word character but `_`) written `[a-z0-9]`, which it is there and which
# is quicker to scan.
_SPLIT = re.compile(r"([a-z0-9]+(?:[._\-/][a-z0-9]+)*)")


class Highlighter:
    """Marks one query's `terms` in any number of texts."""

    def __init__(self, terms: frozenset[str]) -> None:
        self.terms = terms
        self._seen: dict[str, frozenset[str]] = {}

    def _match(self, token: str) -> frozenset[str]:
        group = word_group(token)
        matched = _NONE if self.terms.isdisjoint(group) else self.terms.intersection(group)
        self._seen[token] = matched
        return matched

    def spans(self, text: str) -> list[Span]:
        seen = self._seen
        out = []
        for start, end, token in raw_spans(text):
            matched = seen.get(token)
            out.append((start, end, self._match(token) if matched is None else matched))
        return out

    def _words(self, text: str) -> _Words | None:
        """The fast path's view of an ASCII text; None when the text needs the general path."""
        if not text.isascii():
            return None
        pieces = _SPLIT.split(text.lower())
        tokens = pieces[1::2]
        if tokens and max(map(len, tokens)) > MAX_TOKEN_CHARS:
            return None
        seen, terms = self._seen, self.terms
        for token in set(tokens).difference(seen):
            group = word_group(token)
            seen[token] = _NONE if terms.isdisjoint(group) else terms.intersection(group)
        marks = list(map(seen.__getitem__, tokens))
        return _Words(marks, [i for i, found in enumerate(marks) if found], list(accumulate(map(len, pieces))))

    def highlight(self, text: str) -> str:
        """The whole text, HTML-escaped, matched words marked (for titles)."""
        words = self._words(text)
        if words is None:
            return _render(text, self.spans(text), 0, len(text))
        return words.render(text, 0, len(words.marks) - 1, 0, len(text))

    def snippet(self, text: str, words: int = SNIPPET_WORDS) -> str:
        """The window of `words` words with the most distinct matched terms, HTML-escaped and marked."""
        found = self._words(text)
        if found is None:
            return self._snippet_spans(text, words)
        marks = found.marks
        if not marks:
            return escape(text[:200])
        best = _best_sparse(marks, found.matched, words)
        end_index = min(len(marks), best + words) - 1
        start = 0 if best == 0 else found.start(best)
        end = len(text) if end_index == len(marks) - 1 else found.end(end_index)
        return _frame(found.render(text, best, end_index, start, end), start, end, len(text))

    def _snippet_spans(self, text: str, words: int) -> str:
        """`snippet` on the general path (any text)."""
        spans = self.spans(text)
        if not spans:
            return escape(text[:200])
        best = _best_window(spans, words)
        # Start a little before the first match so the reader gets some context.
        window = spans[best : best + words]
        end_index = min(len(spans), best + words) - 1
        start = 0 if best == 0 else spans[best][0]
        end = len(text) if end_index == len(spans) - 1 else spans[end_index][1]
        return _frame(_render(text, window, start, end), start, end, len(text))


class _Words:
    """An ASCII text's words: what each matches, which match, and the running ends of the split pieces (word j
    is piece 2j+1, so it spans ends[2j]..ends[2j+1])."""

    __slots__ = ("ends", "marks", "matched")

    def __init__(self, marks: list[frozenset[str]], matched: list[int], ends: list[int]) -> None:
        self.marks = marks
        self.matched = matched
        self.ends = ends

    def start(self, j: int) -> int:
        return self.ends[2 * j]

    def end(self, j: int) -> int:
        return self.ends[2 * j + 1]

    def render(self, text: str, first: int, last: int, start: int, end: int) -> str:
        """text[start:end] escaped, with the matched words first..last marked."""
        out: list[str] = []
        cursor = start
        ends = self.ends
        matched = self.matched
        for k in range(bisect_left(matched, first), len(matched)):
            j = matched[k]
            if j > last:
                break
            s, e = ends[2 * j], ends[2 * j + 1]
            out.append(escape_text(text[cursor:s]))
            out.append(f"<mark>{escape_text(text[s:e])}</mark>")
            cursor = e
        out.append(escape_text(text[cursor:end]))
        return "".join(out)


def _frame(html: str, start: int, end: int, length: int) -> str:
    if start > 0:
        html = "… " + html
    if end < length:
        html += " …"
    return html.strip()


class _Counts:
    """Distinct matched terms of a sliding window, with how many of its words match each."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def add(self, found: frozenset[str], step: int) -> None:
        counts = self.counts
        for term in found:
            left = counts.get(term, 0) + step
            if left:
                counts[term] = left
            else:
                del counts[term]

    def slide(self, leaving: frozenset[str], entering: frozenset[str]) -> int:
        """The window moves one word (`leaving` drops out, `entering` comes in): its distinct matched terms after."""
        if leaving:
            self.add(leaving, -1)
        if entering:
            self.add(entering, 1)
        return len(self.counts)


def _best_window(spans: list[Span], words: int) -> int:
    """Where the first window of `words` spans with the most distinct matched terms starts: slide the window,
    counting its distinct matched terms."""
    window = _Counts()
    for span in spans[:words]:
        if span[2]:
            window.add(span[2], 1)
    best, best_score = 0, len(window.counts)
    for i in range(1, max(1, len(spans) - words + 1)):
        leaving, entering = spans[i - 1][2], spans[i + words - 1][2]
        if not leaving and not entering:
            continue  # nothing changes: the count is the one of the window before, which did not win
        score = window.slide(leaving, entering)
        if score > best_score:
            best, best_score = i, score
    return best


def _best_sparse(marks: list[frozenset[str]], matched: list[int], words: int) -> int:
    """`_best_window` visiting only the starts where a matched word leaves or enters the window (the count
    changes nowhere else): the same window."""
    window = _Counts()
    for j in matched:
        if j >= words:
            break
        window.add(marks[j], 1)
    best, best_score = 0, len(window.counts)
    last = len(marks) - words
    if last < 1 or not matched:
        return best
    starts = sorted({j + 1 for j in matched}.union(j - words + 1 for j in matched))
    for i in starts[bisect_left(starts, 1):]:
        if i > last:
            break
        score = window.slide(marks[i - 1], marks[i + words - 1])
        if score > best_score:
            best, best_score = i, score
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
