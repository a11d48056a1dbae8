"""search.highlight: the fast path for ASCII text gives exactly what the general path gives."""

from __future__ import annotations

import random

import pytest

from search.analysis import MAX_TOKEN_CHARS, word_group
from search.highlight import Highlighter, _render, highlight, snippet

WORDS = ["surat", "kelahiran", "lahir", "dilahirkan", "impor", "diimpor", "mengimpor", "gagal", "data", "penduduk",
         "siskeudes", "tidak", "bisa", "login", "v2410.0.0", "e-ktp", "surat_ket_kelahiran", "yang", "di", "a",
         "2410", "Kelahiran", "IMPOR", "ektp", "x"]
GAPS = [" ", "  ", "\n\n", ", ", ". ", " & ", " <b>", "</b> ", " - ", "_", "/", " (", ") ", "'", '"', "...", "\t"]
TERMS = frozenset(t for w in ("lahir", "impor", "gagal", "e-ktp", "surat_ket_kelahiran", "v2410.0.0")
                  for t in word_group(w))


def _text(rng: random.Random, n: int) -> str:
    parts = []
    for _ in range(n):
        parts.append(rng.choice(WORDS))
        parts.append(rng.choice(GAPS))
    if rng.random() < 0.3:
        parts.insert(0, rng.choice(GAPS))
    return "".join(parts[: rng.randint(0, len(parts))])


def _general(marks: Highlighter, text: str, words: int) -> tuple[str, str]:
    return _render(text, marks.spans(text), 0, len(text)), marks._snippet_spans(text, words)


@pytest.mark.parametrize("seed", range(6))
def test_the_fast_path_gives_what_the_general_path_gives(seed: int) -> None:
    rng = random.Random(seed)
    fast_taken = 0
    for _ in range(400):
        text = _text(rng, rng.choice([0, 1, 3, 10, 29, 30, 31, 60, 200]))
        words = rng.choice([1, 2, 5, 30])
        terms = TERMS if rng.random() < 0.8 else frozenset(rng.sample(sorted(TERMS), 2))
        marks = Highlighter(terms)
        fast_taken += marks._words(text) is not None
        assert (marks.highlight(text), marks.snippet(text, words)) == _general(Highlighter(terms), text, words), text
    assert fast_taken == 400  # every generated text is ASCII without an overlong word


@pytest.mark.parametrize("text", [
    "Impor gagal: " + "k" * (MAX_TOKEN_CHARS + 1) + " impor lagi",  # an overlong word is not a word
    "Kelahiran di Désa Maju: impor gagal",  # accents
    "ﬁle impor İstanbul gagal",  # characters whose lowercase is longer
    "",
    "   ",
    "impor \x01<b>gagal</b>\x02 & impor",  # the control characters the fast path escapes around
])
def test_text_outside_the_fast_path(text: str) -> None:
    marks = Highlighter(TERMS)
    assert (marks._words(text) is None) == (not text.isascii() or "k" * (MAX_TOKEN_CHARS + 1) in text)
    assert (marks.highlight(text), marks.snippet(text, 5)) == _general(Highlighter(TERMS), text, 5)


def test_marks_and_escapes_on_the_fast_path() -> None:
    assert highlight("<b>Impor</b> & data", frozenset({"impor"})) == "&lt;b&gt;<mark>Impor</mark>&lt;/b&gt; &amp; data"
    text = " ".join(["kata"] * 50 + ["<gagal>", "diimpor"] + ["lain"] * 50)
    assert snippet(text, frozenset({"gagal", "impor"}), 4) == (
        "… kata kata &lt;<mark>gagal</mark>&gt; <mark>diimpor</mark> …")  # the first window with both
