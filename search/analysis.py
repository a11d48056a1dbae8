"""Indonesian text analysis: the one module every search backend uses, at indexing and at query time.

Text becomes *groups* of terms, one group per word position:
  - words are lowercased, accents folded, and stemmed with Sastrawi (Nazief-Adriani with a root-word
    dictionary), plus a few root words of the domain (`impor`, `unggah`, `login`...);
  - identifiers and error strings stay findable: `surat_ket_kelahiran` gives the whole identifier *and* its
    parts (`surat`, `ket`, `lahir`), `v2410.0.0` also gives `2410.0.0` and `2410`, `e-ktp` also `ektp`;
  - only a handful of true function words are dropped; `tidak`, `belum`, `bisa`, `gagal`, `cara` never are.

Queries become a `QueryPlan`: a list of *concepts* (one per query word or matched phrase), each with
weighted alternatives: the word itself, its synonyms and abbreviations (from the admin-edited list, applied
here so every backend expands identically), the parts of an identifier, and typo corrections found in the
index vocabulary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

Group = tuple[str, ...]

# True function words only. Negations, modal verbs and question words carry meaning in a support question.
STOPWORDS = frozenset(
    ["yang", "dan", "di", "ke", "dari", "pada", "untuk", "dengan", "ini", "itu", "atau", "dalam", "oleh", "juga", "para", "pun", "nya", "yg", "dgn", "dg", "utk", "pd", "the", "of", "to", "a", "an", "in", "on", "for", "and", "is", "are", "be"]
)
NEVER_STOPWORDS = frozenset({"tidak", "belum", "bisa", "gagal", "cara"})
assert not STOPWORDS & NEVER_STOPWORDS

# Roots Sastrawi's dictionary lacks, so that `diupload`, `mengimport`, `terinstall` find their root.
DOMAIN_ROOTS = ["impor", "import", "ekspor", "export", "unggah", "upload", "unduh", "download", "install", "instal", "update", "upgrade", "backup", "restore", "login", "logout", "input", "output", "edit", "setting", "reset", "scan", "sinkron", "migrasi", "posting", "print", "klik", "klick", "format", "verifikasi", "validasi", "generate", "filter", "sortir", "link", "share", "blokir", "aktif", "nonaktif"]

MAX_TOKEN_CHARS = 64
_TOKEN = re.compile(r"[^\W_]+(?:[._\-/][^\W_]+)*")
_SEPARATORS = re.compile(r"[._\-/]")
_VERSIONISH = re.compile(r"^v[0-9]")


class AnalysisError(ValueError):
    pass


def normalize(text: str) -> str:
    """Lowercase with accents folded (`é` -> `e`); everything else is left to the tokenizer."""
    if text.isascii():  # nearly all text: nothing to fold, and highlighting calls this once per word
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def raw_words(text: str) -> list[str]:
    """Normalised tokens, identifiers kept whole (`surat_ket_kelahiran`, `v2410.0.0`, `e-ktp`)."""
    return [m.group(0) for m in _TOKEN.finditer(normalize(text)) if len(m.group(0)) <= MAX_TOKEN_CHARS]


def raw_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, normalised token) over the original text, for highlighting. ASCII text (nearly all) is
    lowercased once: lowercasing ASCII keeps every offset and every token boundary."""
    if text.isascii():
        found = ((*m.span(), m.group()) for m in _TOKEN.finditer(text.lower()))
        return [span for span in found if span[1] - span[0] <= MAX_TOKEN_CHARS]
    spans = []
    for m in _TOKEN.finditer(text):
        token = normalize(m.group(0))
        if len(token) <= MAX_TOKEN_CHARS:
            spans.append((m.start(), m.end(), token))
    return spans


@lru_cache(maxsize=1)
def _stemmer() -> object:
    from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
    from Sastrawi.Stemmer.Stemmer import Stemmer
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    words = [w for w in StemmerFactory().get_words_from_file() if w]
    return Stemmer(ArrayDictionary([*words, *DOMAIN_ROOTS]))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Indonesian root of one normalised word; words with digits and short words are kept as they are."""
    if len(word) < 4 or not word.isalpha() or not word.isascii():
        return word
    result = _stemmer().stem_word(word)  # type: ignore[attr-defined]
    return str(result) if result else word


def is_identifier(word: str) -> bool:
    return bool(_SEPARATORS.search(word))


@lru_cache(maxsize=100_000)
def word_group(word: str) -> Group:
    """The index terms at one word position (empty for a stopword)."""
    if not is_identifier(word):
        if word in STOPWORDS or (len(word) == 1 and word.isalpha()):
            return ()
        terms = [stem(word)]
        if _VERSIONISH.match(word):
            terms.append(word[1:])
        return tuple(dict.fromkeys(terms))
    whole = re.sub(r"[\-/]", "_", word)
    parts = [p for p in _SEPARATORS.split(word) if p]
    terms = [whole]
    if _VERSIONISH.match(whole):
        terms.append(whole[1:])
    if "-" in word and all(p.isalpha() for p in parts):
        terms.append("".join(parts))  # e-ktp -> ektp
    for part in parts:
        if part in STOPWORDS or (len(part) == 1 and part.isalpha()):
            continue
        terms.append(stem(part))
        if _VERSIONISH.match(part):
            terms.append(part[1:])
    return tuple(dict.fromkeys(terms))


def surface_words(word: str) -> list[str]:
    """The plain words inside one token, for the typo-correction vocabulary."""
    parts = _SEPARATORS.split(word) if is_identifier(word) else [word]
    return [p for p in parts if len(p) >= 3 and p.isalpha() and p not in STOPWORDS]


@dataclass(frozen=True)
class AnalyzedText:
    groups: tuple[Group, ...]
    words: frozenset[str]

    def serialize(self) -> str:
        """`surat_ket_kelahiran|surat|ket|lahir cetak ...`: one space-separated group per position."""
        return " ".join("|".join(g) for g in self.groups)


def analyze(text: str) -> AnalyzedText:
    groups: list[Group] = []
    words: set[str] = set()
    for word in raw_words(text):
        group = word_group(word)
        if group:
            groups.append(group)
            words.update(surface_words(word))
    return AnalyzedText(tuple(groups), frozenset(words))


def parse_groups(serialized: str) -> list[Group]:
    return [tuple(g.split("|")) for g in serialized.split(" ") if g]


# --- Synonyms -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SynonymRule:
    lhs: tuple[tuple[str, ...], ...]
    rhs: tuple[tuple[str, ...], ...]
    source: str = ""


def parse_rule(text: str) -> SynonymRule:
    """`a, b, c` (equivalent) or `a, b => c, d` (one way). Raises AnalysisError with a message for admins."""
    line = text.strip()
    if not line:
        raise AnalysisError("aturan kosong")
    if line.count("=>") > 1:
        raise AnalysisError("'=>' hanya boleh muncul sekali")
    left, arrow, right = line.partition("=>")

    def side(value: str) -> tuple[tuple[str, ...], ...]:
        phrases = []
        for item in value.split(","):
            words = tuple(raw_words(item))
            if words:
                phrases.append(words)
        return tuple(dict.fromkeys(phrases))

    lhs = side(left)
    rhs = side(right) if arrow else lhs
    if not lhs or not rhs:
        raise AnalysisError("setiap sisi aturan perlu paling sedikit satu kata")
    if not arrow and len(lhs) < 2:
        raise AnalysisError("aturan padanan perlu paling sedikit dua kata, dipisah koma")
    if any(len(p) > 4 for p in lhs):
        raise AnalysisError("frasa paling panjang empat kata")
    return SynonymRule(lhs=lhs, rhs=rhs, source=line)


class SynonymSet:
    """Compiled rules: lookup by the words as written, and by stem for single words (`dicetak` -> `cetak`)."""

    def __init__(self, rules: Iterable[SynonymRule]) -> None:
        self.rules = list(rules)
        self.by_words: dict[tuple[str, ...], list[SynonymRule]] = {}
        self.by_stem: dict[str, list[SynonymRule]] = {}
        self.max_words = 1
        for rule in self.rules:
            for phrase in rule.lhs:
                self.by_words.setdefault(phrase, []).append(rule)
                self.max_words = max(self.max_words, len(phrase))
                if len(phrase) == 1 and not is_identifier(phrase[0]):
                    self.by_stem.setdefault(stem(phrase[0]), []).append(rule)

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> SynonymSet:
        rules = []
        for line in lines:
            try:
                rules.append(parse_rule(line))
            except AnalysisError:
                continue  # an invalid row never breaks search; the admin form rejects it on save
        return cls(rules)

    def match(self, words: Sequence[str], start: int) -> tuple[int, list[SynonymRule]]:
        """The longest rule match at `start`: (number of words consumed, rules), or (0, [])."""
        for n in range(min(self.max_words, len(words) - start), 0, -1):
            rules = self.by_words.get(tuple(words[start : start + n]))
            if rules:
                return n, rules
        word = words[start]
        if not is_identifier(word) and word not in STOPWORDS:
            rules = self.by_stem.get(stem(word))
            if rules:
                return 1, rules
        return 0, []


EMPTY_SYNONYMS = SynonymSet([])


# --- Query plans -----------------------------------------------------------------------------------------


class Vocabulary(Protocol):
    """What the planner needs from the index: how common a word is, and words close to a misspelling."""

    def word_df(self, word: str) -> int: ...

    def similar(self, word: str, max_edits: int) -> list[tuple[str, int, int]]:
        """Known words within `max_edits` (same first letter): (word, distance, document frequency)."""
        ...


@dataclass(frozen=True)
class Alternative:
    terms: tuple[str, ...]
    weight: float
    kind: str  # original | synonym | part | fuzzy
    surface: str = ""


@dataclass(frozen=True)
class Concept:
    source: str
    alternatives: tuple[Alternative, ...]
    identifier: bool = False

    @property
    def terms(self) -> list[str]:
        return list(dict.fromkeys(t for a in self.alternatives for t in a.terms))


@dataclass(frozen=True)
class QueryPlan:
    text: str
    concepts: tuple[Concept, ...] = field(default_factory=tuple)

    @property
    def terms(self) -> list[str]:
        return list(dict.fromkeys(t for c in self.concepts for t in c.terms))

    def __bool__(self) -> bool:
        return bool(self.concepts)


def _phrase_terms(words: Sequence[str]) -> tuple[str, ...]:
    """A synonym phrase as a sequence of terms: identifiers whole, words stemmed, stopwords dropped."""
    terms: list[str] = []
    for word in words:
        if is_identifier(word):
            terms.append(re.sub(r"[\-/]", "_", word))
        elif word not in STOPWORDS and not (len(word) == 1 and word.isalpha()):
            terms.append(stem(word))
    return tuple(terms)


def _fuzzy_limits(word: str) -> int:
    if len(word) < 4:
        return 0
    return 1 if len(word) <= 5 else 2


def _fuzzy_alternatives(
    word: str, vocabulary: Vocabulary | None, taken: set[str], variants: bool = True
) -> list[Alternative]:
    """Typo tolerance: an unknown word is corrected to the nearest known ones; a known long word also
    reaches variants one edit away (the notes themselves spell `siskuedes` and `sikuedes`)."""
    if vocabulary is None or not word.isalpha() or word in STOPWORDS:
        return []
    known = vocabulary.word_df(word) > 0
    max_edits = (1 if variants and len(word) >= 7 else 0) if known else _fuzzy_limits(word)
    if not max_edits:
        return []
    found = []
    for candidate, distance, _df in vocabulary.similar(word, max_edits)[:3]:
        terms = (stem(candidate),)
        if terms[0] in taken:
            continue
        taken.add(terms[0])
        weight = (0.9 if distance == 1 else 0.75) if not known else 0.6
        found.append(Alternative(terms, weight, "fuzzy", candidate))
    return found


def _word_concept(word: str, vocabulary: Vocabulary | None, variants: bool = True) -> Concept | None:
    group = word_group(word)
    if not group:
        return None
    if not is_identifier(word):
        alternatives = [Alternative((group[0],), 1.0, "original", word)]
        alternatives += [Alternative((t,), 1.0, "original", word) for t in group[1:]]
        alternatives += _fuzzy_alternatives(word, vocabulary, set(group), variants)
        return Concept(word, tuple(alternatives))
    whole = group[0]
    alternatives = [Alternative((whole,), 1.0, "original", word)]
    parts = [t for t in group[1:] if t != whole]
    for term in parts:
        if term == whole[1:] or ("-" in word and term == "".join(_SEPARATORS.split(word))):
            alternatives.append(Alternative((term,), 1.0, "original", word))
    part_terms = tuple(t for t in parts if not any(a.terms == (t,) for a in alternatives))
    if part_terms:
        alternatives.append(Alternative(part_terms, 0.7, "part", word))
    return Concept(word, tuple(alternatives), identifier=True)


def plan_query(
    text: str,
    *,
    synonyms: SynonymSet = EMPTY_SYNONYMS,
    vocabulary: Vocabulary | None = None,
    max_concepts: int = 32,
    max_chars: int = 1000,
    typo_variants: bool = True,
) -> QueryPlan:
    """Analyse a query into concepts. Never raises: any text, syntax or symbol is just text.

    Unknown words are corrected against `vocabulary`; with `typo_variants`, known long words also reach
    spellings one edit away (off for long texts such as suggestions, where it costs more than it gives)."""
    words = raw_words(text[:max_chars])
    concepts: list[Concept] = []
    i = 0
    while i < len(words) and len(concepts) < max_concepts:
        consumed, rules = synonyms.match(words, i)
        if rules:
            source = " ".join(words[i : i + consumed])
            alternatives: list[Alternative] = []
            seen: set[tuple[str, ...]] = set()
            own = _phrase_terms(words[i : i + consumed])
            own_is_target = any(words[i : i + consumed] == list(p) for r in rules for p in r.rhs)
            candidates = [(p, "synonym") for r in rules for p in r.rhs]
            if own_is_target or any(r.lhs == r.rhs for r in rules):
                candidates.insert(0, (tuple(words[i : i + consumed]), "original"))
            for phrase, kind in candidates:
                terms = own if phrase == tuple(words[i : i + consumed]) else _phrase_terms(phrase)
                if terms and terms not in seen:
                    seen.add(terms)
                    alternatives.append(Alternative(terms, 1.0, kind, " ".join(phrase)))
            if alternatives:
                concepts.append(Concept(source, tuple(alternatives)))
            i += consumed
            continue
        concept = _word_concept(words[i], vocabulary, typo_variants)
        if concept is not None:
            concepts.append(concept)
        i += 1
    return QueryPlan(text=text, concepts=tuple(concepts))
