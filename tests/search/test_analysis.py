"""search.analysis: the one Indonesian analysis every backend uses."""

from __future__ import annotations

import pytest

from search.analysis import (
    STOPWORDS,
    AnalysisError,
    SynonymSet,
    analyze,
    parse_rule,
    plan_query,
    raw_words,
    stem,
)
from search.highlight import highlight, snippet
from search.synonym_defaults import DEFAULT_RULES
from search.vocabulary import DatabaseVocabulary

SYNONYMS = SynonymSet.from_lines(DEFAULT_RULES)


def terms(text: str) -> set[str]:
    return {t for g in analyze(text).groups for t in g}


def alternatives(query: str, **kwargs: object) -> list[set[tuple[str, ...]]]:
    plan = plan_query(query, synonyms=SYNONYMS, **kwargs)  # type: ignore[arg-type]
    return [{a.terms for a in c.alternatives} for c in plan.concepts]


def test_normalises_case_and_accents() -> None:
    assert raw_words("Café ÉKSPOR Data") == ["cafe", "ekspor", "data"]


@pytest.mark.parametrize(
    ("word", "root"),
    [
        ("pengaturan", "atur"),
        ("menampilkan", "tampil"),
        ("kehadiran", "hadir"),
        ("dicetak", "cetak"),
        ("penduduk", "duduk"),
        ("mengimpor", "impor"),
        ("diupload", "upload"),  # a domain root Sastrawi's dictionary lacks
        ("menginput", "input"),
    ],
)
def test_indonesian_stemming(word: str, root: str) -> None:
    assert stem(word) == root


@pytest.mark.parametrize("word", ["tidak", "belum", "bisa", "gagal", "cara"])
def test_meaningful_words_are_never_stopwords(word: str) -> None:
    assert word not in STOPWORDS
    assert word in terms(f"{word} impor")


def test_function_words_are_dropped() -> None:
    assert terms("yang dan di ke dari") == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Perbaiki lampiran surat_ket_kelahiran (F-21.01).", {"surat_ket_kelahiran", "surat", "ket", "lahir"}),
        ("error migrasi (ref_penduduk_hamil)", {"ref_penduduk_hamil", "ref", "duduk", "hamil"}),
        ("update ke v2410.0.0", {"v2410.0.0", "2410.0.0", "v2410", "2410"}),
        ("Error : Data too long for column 'Keterangan'", {"error", "data", "too", "long", "column"}),
        ("error 500 di halaman", {"error", "500"}),
        ("login dengan e-KTP", {"e_ktp", "ektp", "ktp"}),
    ],
)
def test_identifiers_and_error_strings_stay_findable(text: str, expected: set[str]) -> None:
    assert expected <= terms(text)


def test_positions_group_an_identifier_with_its_parts() -> None:
    assert analyze("cetak surat_ket_kelahiran").serialize() == "cetak surat_ket_kelahiran|surat|ket|lahir"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("gmn", {("bagaimana",)}),
        ("gimana", {("bagaimana",)}),
        ("tdk", {("tidak",), ("tdk",), ("gak",), ("ga",)}),
        ("ga", {("tidak",)}),
        ("dobel", {("ganda",), ("duplikat",)}),
        ("lemot", {("lambat",)}),
        ("ttd", {("tanda", "tangan")}),
        ("absensi", {("hadir",)}),
        ("import", {("impor",)}),
        ("kk", {("kartu", "keluarga")}),
        ("hp", {("handphone",), ("android",)}),
        ("sy", {("saya",)}),
        ("udh", {("sudah",)}),
        ("tte", {("tanda", "tangan", "elektronik")}),
        ("eror", {("error",), ("galat",)}),
        ("siskeudes", {("siskuedes",), ("sikuedes",)}),
        ("login", {("masuk",)}),
        ("dicetak", {("cetak",), ("print",)}),  # matched through the stem
    ],
)
def test_synonyms_and_abbreviations_expand_at_query_time(query: str, expected: set[tuple[str, ...]]) -> None:
    (concept,) = alternatives(query)
    assert expected <= concept


def test_one_way_rules_replace_the_slang() -> None:
    (concept,) = alternatives("gmn")
    assert ("gmn",) not in concept


def test_multi_word_synonyms_match_as_a_phrase() -> None:
    plan = plan_query("tanda tangan kades", synonyms=SYNONYMS)
    assert [c.source for c in plan.concepts] == ["tanda tangan", "kades"]
    assert ("ttd",) in {a.terms for a in plan.concepts[0].alternatives}
    assert ("kepala", "desa") in {a.terms for a in plan.concepts[1].alternatives}


def test_rules_are_validated_for_admins() -> None:
    assert parse_rule("gmn, gimana => bagaimana").rhs == (("bagaimana",),)
    assert parse_rule("ganda, dobel").lhs == (("ganda",), ("dobel",))
    for bad in ("", "ganda", "a => b => c", " => x", "a b c d e, f"):
        with pytest.raises(AnalysisError):
            parse_rule(bad)


def test_invalid_rows_do_not_break_the_set() -> None:
    synonyms = SynonymSet.from_lines(["=>", "wifi, internet"])
    assert len(synonyms.rules) == 1


def test_typo_correction_against_the_vocabulary() -> None:
    vocabulary = DatabaseVocabulary({"kehadiran": 30, "kehamilan": 3, "siskeudes": 3, "siskuedes": 3, "data": 300,
                                     "dana": 10})
    (concept,) = alternatives("kehadran", vocabulary=vocabulary)
    assert ("hadir",) in concept  # unknown word corrected
    (concept,) = alternatives("siskeudes", vocabulary=vocabulary)
    assert ("siskuedes",) in concept  # known long word reaches a variant one edit away
    (concept,) = alternatives("data", vocabulary=vocabulary)
    assert concept == {("data",)}  # short known words are left alone


@pytest.mark.parametrize("text", ["", "   ", "😀", "title:* OR ( \\", "'; --", "a" * 100_000])
def test_any_text_is_plain_text(text: str) -> None:
    plan = plan_query(text, synonyms=SYNONYMS)
    assert len(plan.concepts) <= 32


def test_highlight_escapes_then_marks() -> None:
    marked = highlight("<b>Impor</b> & data", frozenset({"impor"}))
    assert marked == "&lt;b&gt;<mark>Impor</mark>&lt;/b&gt; &amp; data"


def test_snippet_picks_the_window_with_the_matches() -> None:
    text = " ".join(["kata"] * 100 + ["gagal", "impor", "siskeudes"] + ["lain"] * 100)
    result = snippet(text, frozenset({"gagal", "impor", "siskeudes"}))
    assert "<mark>gagal</mark> <mark>impor</mark> <mark>siskeudes</mark>" in result
    assert result.startswith("… ") and result.endswith(" …")
    assert len(result) < 400
