"""The contract every search backend passes: relevance basics, Indonesian analysis, filters, access, safe
highlighting, bad input, deletes and idempotent indexing.

A backend's test module subclasses `SearchBackendContract` and provides a `backend` fixture that yields an
empty index (see test_contract_database.py). Writes are followed directly by searches: a backend must make
its writes visible when `index`/`delete`/`reindex` return.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from search.types import MAX_LIMIT, Document, SearchQuery, SearchQueryError

CORPUS = [
    Document("kb", "1", "Gagal impor data penduduk dari Excel", "Format file impor penduduk harus xlsx; kolom NIK teks.",
             category="kependudukan", region_code="52.03.15.2001", versions=("2410.0.0",)),
    Document("kb", "2", "Data penduduk ganda setelah pecah KK", "Periksa NIK yang sama lalu hapus salah satunya.",
             category="kependudukan", region_code="52.04.01.2002"),
    Document("kb", "3", "Tidak bisa masuk Layanan Mandiri dengan PIN", "Reset PIN warga lewat menu Layanan Mandiri.",
             category="layanan-mandiri", region_code="33.01.01.2001", versions=("2409.0.0",)),
    Document("kb", "4", "Lampiran surat_ket_kelahiran kosong", "Perbarui template surat_ket_kelahiran (F-2.01).",
             category="surat-tte"),
    Document("kb", "5", "Error Data too long for column 'Keterangan'", "Terjadi saat impor Siskeudes; ubah panjang kolom.",
             category="keuangan"),
    Document("kb", "6", "Rekam kehadiran perangkat desa dengan e-KTP", "Daftarkan tag_id_card pamong di menu kehadiran.",
             category="lainnya"),
    Document("kb", "7", "Muncul error 500 setelah update ke v2410.0.0", "Jalankan migrasi ulang dari menu Info Sistem.",
             category="update-migrasi", versions=("2410.0.0",)),
    Document("kb", "8", "Cara backup database OpenSID", "Gunakan menu Database > Backup lalu unduh berkas .sql.",
             category="database-backup"),
]

TAGS = re.compile(r"<[^>]*>")


def ids(results: Any) -> list[str]:
    return [h.doc_id for h in results.hits]


def first(backend: Any, text: str, **kwargs: Any) -> str | None:
    results = backend.search(SearchQuery(text=text, **kwargs))
    return results.hits[0].doc_id if results.hits else None


class SearchBackendContract:
    @pytest.fixture
    def indexed(self, backend: Any) -> Any:
        backend.index(CORPUS)
        return backend

    # --- relevance and Indonesian analysis --------------------------------------------------------------

    def test_ping_and_count(self, indexed: Any) -> None:
        assert indexed.ping()["status"] == "ok"
        assert indexed.count() == len(CORPUS)
        assert indexed.count("kb") == len(CORPUS)
        assert indexed.count("ticket") == 0

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("gagal impor data penduduk", "1"),
            ("mengimpor penduduk", "1"),  # stemming
            ("import penduduk excel", "1"),  # synonym
            ("data dobel", "2"),  # dobel -> ganda
            ("tdk bisa login layanan mandiri", "3"),  # abbreviation + login -> masuk
            ("gmn reset pin lm", "3"),
            ("surat_ket_kelahiran", "4"),  # identifier
            ("lampiran surat kelahiran", "4"),  # identifier parts, stemmed
            ("Data too long for column", "5"),  # error string
            ("absensi perangkat pake ektp", "6"),  # absensi -> kehadiran, e-KTP -> ektp
            ("tag_id_card", "6"),
            ("error 500 v2410.0.0", "7"),
            ("kehadran perangkat", "6"),  # typo
            ("cara bakcup database", "8"),  # typo
        ],
    )
    def test_finds_the_right_entry_first(self, indexed: Any, query: str, expected: str) -> None:
        assert first(indexed, query) == expected

    def test_or_semantics_rank_by_coverage(self, indexed: Any) -> None:
        # Not every word has to match (no strict AND), but the entry matching more of them comes first.
        results = indexed.search(SearchQuery(text="penduduk ganda pecah kk rumah tangga"))
        assert ids(results)[0] == "2"
        assert "1" in ids(results)

    def test_functional_words_are_not_stopwords(self, backend: Any) -> None:
        backend.index([
            Document("kb", "a", "Tombol simpan belum bisa diklik", "Perbarui tema."),
            Document("kb", "b", "Tombol simpan diklik dua kali", "Tunggu proses selesai."),
        ])
        assert first(backend, "belum bisa") == "a"
        assert first(backend, "cara tombol simpan tidak bisa") == "a"

    def test_boosts_prefer_accepted_helpful_fresh_answers(self, backend: Any) -> None:
        old = timezone.now() - timedelta(days=1500)
        backend.index([
            Document("kb", "plain", "Peta wilayah dusun tidak tampil", "Atur ulang zoom peta.", updated_at=old),
            Document("kb", "good", "Peta wilayah dusun tidak tampil", "Atur ulang zoom peta.", accepted=True,
                     helpful_votes=12, updated_at=timezone.now()),
        ])
        assert ids(backend.search(SearchQuery(text="peta dusun tidak tampil")))[:2] == ["good", "plain"]

    def test_no_match_is_empty(self, indexed: Any) -> None:
        results = indexed.search(SearchQuery(text="xylofon kuantum"))
        assert results.hits == [] and results.total == 0

    def test_total_and_offset(self, indexed: Any) -> None:
        everything = indexed.search(SearchQuery(text="penduduk data impor", limit=10))
        assert everything.total == len(everything.hits) >= 2
        second = indexed.search(SearchQuery(text="penduduk data impor", limit=1, offset=1))
        assert ids(second) == ids(everything)[1:2]
        assert second.total == everything.total

    def test_result_fields(self, backend: Any) -> None:
        backend.index([Document("kb", "9", "Judul", "Isi tentang sinkronisasi OpenDK", external_id="ext-9",
                                url="/kb/9/", category="sinkronisasi", region_code="52")])
        hit = backend.search(SearchQuery(text="sinkronisasi opendk")).hits[0]
        assert (hit.doc_type, hit.doc_id, hit.external_id, hit.url) == ("kb", "9", "ext-9", "/kb/9/")
        assert (hit.category, hit.region_code) == ("sinkronisasi", "52")
        assert hit.score > 0
        assert "<mark>sinkronisasi</mark>" in hit.snippet and "<mark>OpenDK</mark>" in hit.snippet

    # --- filters ----------------------------------------------------------------------------------------

    def test_category_filter(self, indexed: Any) -> None:
        assert set(ids(indexed.search(SearchQuery(text="impor", category="keuangan")))) == {"5"}
        assert ids(indexed.search(SearchQuery(text="impor", category="tidak-ada"))) == []

    def test_region_filter_is_a_prefix_on_whole_levels(self, indexed: Any) -> None:
        assert set(ids(indexed.search(SearchQuery(text="penduduk", region="52")))) == {"1", "2"}
        assert set(ids(indexed.search(SearchQuery(text="penduduk", region="52.03")))) == {"1"}
        with pytest.raises(SearchQueryError):
            SearchQuery(text="penduduk", region="52.0")  # not a whole level

    def test_version_filter_keeps_versionless_entries(self, indexed: Any) -> None:
        found = set(ids(indexed.search(SearchQuery(text="impor penduduk pin error", version="v2410.0.0", limit=20))))
        assert "1" in found and "7" in found  # applies to 2410.0.0
        assert "3" not in found  # only 2409.0.0
        assert "5" in found  # no version given: applies to all
        assert "1" in set(ids(indexed.search(SearchQuery(text="impor penduduk", version="2410"))))

    def test_doc_type_filter(self, indexed: Any) -> None:
        indexed.index([Document("ticket", "t1", "Gagal impor data penduduk", "Sudah dicoba dua kali.")])
        assert set(ids(indexed.search(SearchQuery(text="impor penduduk", doc_types=("ticket",))))) == {"t1"}
        assert "t1" not in ids(indexed.search(SearchQuery(text="impor penduduk", doc_types=("kb",))))

    # --- access -----------------------------------------------------------------------------------------

    def test_private_documents_need_a_matching_audience(self, indexed: Any) -> None:
        indexed.index([Document("ticket", "p1", "Rahasia: NIK bocor di impor", "Isi tiket privat.",
                                is_public=False, audience=("forum:3",))])
        assert "p1" not in ids(indexed.search(SearchQuery(text="nik bocor")))
        assert "p1" not in ids(indexed.search(SearchQuery(text="nik bocor", audiences=frozenset({"forum:4"}))))
        assert "p1" in ids(indexed.search(SearchQuery(text="nik bocor", audiences=frozenset({"forum:3", "forum:9"}))))
        assert "p1" not in ids(indexed.suggest("NIK bocor waktu impor penduduk, tolong", doc_types=("ticket",)))
        assert "p1" in ids(indexed.suggest("NIK bocor waktu impor", doc_types=("ticket",),
                                           audiences=frozenset({"forum:3"})))

    # --- snippets and highlighting are HTML-safe --------------------------------------------------------

    def test_highlighting_escapes_everything_but_mark(self, backend: Any) -> None:
        backend.index([Document("kb", "x", "<script>alert('impor')</script> & impor",
                                'Klik <a href="javascript:x">impor</a> lalu "simpan" <img src=x onerror=alert(1)>')])
        for query in ("impor", "<b>impor</b>", "script impor", "onerror impor"):
            hit = backend.search(SearchQuery(text=query)).hits[0]
            for html in (hit.title_html, hit.snippet):
                assert set(TAGS.findall(html)) <= {"<mark>", "</mark>"}, html
                assert "<mark>impor</mark>" in html
        hit = backend.search(SearchQuery(text="impor")).hits[0]
        assert "&lt;script&gt;" in hit.title_html and "&amp;" in hit.title_html
        assert "&lt;img" in hit.snippet

    # --- bad input is plain text, never an error ----------------------------------------------------

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "   ",
            "title:*",
            '"',
            "(",
            ")",
            "OR OR",
            "AND NOT NEAR",
            "\\",
            "impor*",
            "'; DROP TABLE search_document; --",
            "' OR '1'='1",
            "penduduk ' \" ` ; -- /* */",
            "😀🙏 impor 🔥",
            "\x00\x01 impor",
            "{} [] ^ ~ : | & ! @ # $ % = + < >",
            "a" * 10_000,
            "impor data " * 1000,
            "\u0634\u0627\u0628 \u4e2d\u6587 impor",  # Arabic and Chinese letters
        ],
    )
    def test_odd_queries_are_plain_text(self, indexed: Any, text: str) -> None:
        results = indexed.search(SearchQuery(text=text))
        assert isinstance(results.hits, list)
        assert indexed.count() == len(CORPUS)  # nothing was dropped

    def test_odd_queries_still_find_their_words(self, indexed: Any) -> None:
        assert first(indexed, "😀 impor siskeudes 🙏") == "5"
        assert first(indexed, '"surat_ket_kelahiran" OR (title:*)') == "4"
        assert first(indexed, "backup' OR '1'='1") == "8"

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"limit": 100_000},
            {"limit": 0},
            {"limit": -1},
            {"limit": MAX_LIMIT + 1},
            {"offset": -5},
            {"offset": 10**9},
            {"category": "Bad Slug!"},
            {"region": "52.x"},
            {"region": "52%"},
            {"version": "'; drop"},
            {"doc_types": ("KB!",)},
            {"audiences": frozenset({"forum 3"})},
        ],
    )
    def test_invalid_parameters_are_rejected(self, kwargs: dict[str, Any]) -> None:
        with pytest.raises(SearchQueryError):
            SearchQuery(text="impor", **kwargs)

    def test_limit_is_honoured(self, indexed: Any) -> None:
        assert len(indexed.search(SearchQuery(text="impor penduduk data pin error", limit=2)).hits) == 2
        assert len(indexed.search(SearchQuery(text="impor penduduk data pin error", limit=MAX_LIMIT)).hits) <= MAX_LIMIT

    # --- writes -------------------------------------------------------------------------------------

    def test_delete(self, indexed: Any) -> None:
        assert first(indexed, "backup database") == "8"
        assert indexed.delete("kb", ["8", "does-not-exist"]) == 1
        assert "8" not in ids(indexed.search(SearchQuery(text="backup database")))
        assert indexed.count() == len(CORPUS) - 1
        assert indexed.delete("kb", []) == 0
        assert indexed.delete("ticket", ["1"]) == 0  # another type's id

    def test_index_is_idempotent_and_replaces(self, indexed: Any) -> None:
        before = ids(indexed.search(SearchQuery(text="impor penduduk")))
        indexed.index(CORPUS)
        assert indexed.count() == len(CORPUS)
        assert ids(indexed.search(SearchQuery(text="impor penduduk"))) == before
        indexed.index([Document("kb", "8", "Cara memulihkan folder desa", "Gunakan restore folder desa.")])
        assert indexed.count() == len(CORPUS)
        assert "8" not in ids(indexed.search(SearchQuery(text="backup database")))
        assert first(indexed, "restore folder desa") == "8"

    def test_same_document_twice_in_one_call_keeps_the_last(self, backend: Any) -> None:
        backend.index([Document("kb", "d", "versi lama", ""), Document("kb", "d", "versi baru sinkronisasi", "")])
        assert backend.count() == 1
        assert first(backend, "sinkronisasi") == "d"

    def test_reindex_replaces_everything_and_reports_progress(self, indexed: Any) -> None:
        seen: list[int] = []
        assert indexed.reindex(CORPUS[:3], progress=seen.append) == 3
        assert seen and seen[-1] == 3
        assert indexed.count() == 3
        assert first(indexed, "backup database") is None
        again = indexed.reindex(CORPUS[:3])
        assert again == 3 and indexed.count() == 3
        assert first(indexed, "gagal impor data penduduk") == "1"

    def test_reindex_of_one_type_keeps_the_others(self, indexed: Any) -> None:
        indexed.index([Document("ticket", "t1", "Tiket impor gagal", "")])
        indexed.reindex([Document("ticket", "t2", "Tiket sinkronisasi", "")], doc_types=("ticket",))
        assert indexed.count("kb") == len(CORPUS)
        assert indexed.count("ticket") == 1
        assert first(indexed, "sinkronisasi", doc_types=("ticket",)) == "t2"

    # --- suggestions --------------------------------------------------------------------------------

    def test_suggest_finds_similar_published_answers(self, indexed: Any) -> None:
        text = (
            "Selamat siang, mohon bantuannya. Waktu saya impor data penduduk dari file excel selalu gagal, "
            "padahal formatnya sudah sesuai contoh. Versi OpenSID 2410."
        )
        results = indexed.suggest(text)
        assert ids(results)[0] == "1"
        assert len(results.hits) <= 5
        assert all(h.doc_type == "kb" for h in results.hits)

    def test_suggest_is_empty_for_unrelated_text(self, indexed: Any) -> None:
        assert indexed.suggest("Halo semuanya, selamat pagi dan terima kasih").hits == []
        assert indexed.suggest("").hits == []

    def test_suggest_needs_two_shared_words_when_the_text_has_two(self, indexed: Any) -> None:
        # One shared word of two is chatter, not a similar problem; a one-word text may still find its answer.
        assert indexed.suggest("kolom tanggal").hits == []
        assert indexed.suggest("template kolom").hits == []
        assert ids(indexed.suggest("backup"))[:1] == ["8"]
        assert ids(indexed.suggest("backup database"))[:1] == ["8"]

    def test_suggest_limit(self, indexed: Any) -> None:
        assert len(indexed.suggest("impor penduduk data pin error kolom migrasi backup", limit=2).hits) <= 2
