"""`kb_import` exactly per the contract: the format, idempotency by external_id, every bad-file case reported
with its line number and nothing written, --skip-invalid, and entries searchable when the command returns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from helpdesk.kb.models import Entry, EntrySource, EntryStatus
from tests.kb.conftest import World, import_lines

pytestmark = pytest.mark.django_db

GOOD = [
    {"external_id": "opensid-5249", "title": "Gagal impor data penduduk dari Excel",
     "question": "Impor penduduk berhenti dengan galat Data too long for column.",
     "answer": "Potong isian kolom nama menjadi maksimal 100 karakter lalu impor ulang.",
     "category": "kependudukan", "tags": ["impor", "excel"], "region_code": "52.03", "solved_at": "2024-10-01T09:30:00+08:00"},
    {"external_id": 6120, "title": "Tombol cetak surat keterangan domisili error 500",
     "answer": "Unggah ulang template surat bawaan.", "category": "surat-tte", "solved_at": "2024-09-12"},
    {"external_id": "catatan-3", "title": "Sinkronisasi OpenDK gagal karena token kedaluwarsa",
     "answer": "Buat token baru di OpenDK dan simpan di pengaturan sinkronisasi.", "tags": []},
]


def search(q: str) -> dict[str, Any]:
    response = APIClient().get("/api/v1/kb/search/", {"q": q})
    assert response.status_code == 200, response.content
    return response.json()


def test_contract_format_is_imported_published_and_searchable_at_once(world: World, tmp_path: Path,
                                                                       capsys: Any) -> None:
    import_lines(tmp_path, GOOD)
    out = capsys.readouterr().out
    assert "3 baru" in out
    entries = {e.external_id: e for e in Entry.objects.all()}
    assert set(entries) == {"opensid-5249", "6120", "catatan-3"}
    first = entries["opensid-5249"]
    assert first.status == EntryStatus.PUBLISHED and first.source == EntrySource.IMPORT
    assert first.category is not None and first.category.slug == "kependudukan"
    assert first.tags == ["impor", "excel"]
    assert first.origin_region_id == "52.03"
    assert first.forum == world.lotim  # whose coordinators would review changes
    assert first.solved_at is not None and first.solved_at.isoformat().startswith("2024-10-01T01:30:00")
    assert entries["6120"].solved_at is not None
    assert entries["catatan-3"].category is None
    assert "<p>" in first.answer_html
    body = search("gagal impor penduduk excel")
    assert body["results"][0]["external_id"] == "opensid-5249"
    assert body["results"][0]["title"] == "Gagal impor data penduduk dari Excel"


def test_import_is_idempotent_and_updates_by_external_id(world: World, tmp_path: Path, capsys: Any) -> None:
    import_lines(tmp_path, GOOD)
    ids = dict(Entry.objects.values_list("external_id", "pk"))
    capsys.readouterr()
    import_lines(tmp_path, GOOD)
    assert "0 baru, 0 diperbarui, 3 tidak berubah" in capsys.readouterr().out
    changed = [dict(GOOD[0], answer="Jawaban baru: gunakan templat impor terbaru."), *GOOD[1:]]
    import_lines(tmp_path, changed)
    assert "0 baru, 1 diperbarui, 2 tidak berubah" in capsys.readouterr().out
    assert dict(Entry.objects.values_list("external_id", "pk")) == ids
    assert Entry.objects.get(external_id="opensid-5249").answer == "Jawaban baru: gunakan templat impor terbaru."
    assert search("templat impor terbaru")["results"][0]["external_id"] == "opensid-5249"


def test_draft_status_and_archived_entries_stay_archived(world: World, tmp_path: Path) -> None:
    import_lines(tmp_path, GOOD, "--status", "draft")
    assert set(Entry.objects.values_list("status", flat=True)) == {EntryStatus.DRAFT}
    assert search("impor penduduk")["total"] == 0
    Entry.objects.filter(external_id="6120").update(status=EntryStatus.ARCHIVED)
    import_lines(tmp_path, GOOD)
    statuses = dict(Entry.objects.values_list("external_id", "status"))
    assert statuses == {"opensid-5249": "published", "6120": "archived", "catatan-3": "published"}
    assert search("template surat domisili")["total"] == 0


def test_imported_personal_data_is_masked(world: World, tmp_path: Path) -> None:
    import_lines(tmp_path, [{"external_id": "x1", "title": "NIK 5203.0123.4567.0002 tidak ditemukan",
                             "answer": "Sudah dibantu lewat WA 0812 3456 7890 dan surel operator@desa.id."}])
    entry = Entry.objects.get(external_id="x1")
    assert entry.title == "NIK [NIK_1] tidak ditemukan"
    assert entry.answer == "Sudah dibantu lewat WA [NO_HP_1] dan surel [EMAIL_1]."
    assert search("5203.0123.4567.0002")["total"] == 0
    assert search("0812 3456 7890")["total"] == 0


def run(path: Path, *args: str) -> str:
    with pytest.raises(CommandError) as excinfo:
        call_command("kb_import", str(path), "--no-progress", *args)
    return str(excinfo.value)


def write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    return path


def lines(*objects: Any) -> bytes:
    return b"\n".join(o if isinstance(o, bytes) else json.dumps(o).encode() for o in objects) + b"\n"


def test_not_utf8_is_reported_with_its_line_and_nothing_is_written(world: World, tmp_path: Path) -> None:
    content = lines(GOOD[0], GOOD[1]) + '{"external_id": "x", "title": "Gagal impor é"}\n'.encode("latin-1")
    message = run(write(tmp_path, content))
    assert "baris 3" in message and "UTF-8" in message
    assert "tidak ada yang ditulis" in message
    assert Entry.objects.count() == 0


def test_broken_json_is_reported_with_its_line(world: World, tmp_path: Path) -> None:
    content = lines(GOOD[0], b'{"external_id": "y", "title": "tanpa kurung tutup"', GOOD[2], b"[1, 2]")
    message = run(write(tmp_path, content))
    assert "baris 2: JSON rusak" in message
    assert "baris 4: harus berupa satu objek JSON" in message
    assert Entry.objects.count() == 0


def test_external_id_repeated_within_the_file(world: World, tmp_path: Path) -> None:
    content = lines(GOOD[0], GOOD[1], dict(GOOD[2], external_id="opensid-5249"))
    message = run(write(tmp_path, content))
    assert "baris 3: external_id 'opensid-5249' sudah ada di baris 1" in message
    assert Entry.objects.count() == 0


@pytest.mark.parametrize(("obj", "expected"), [
    ({"title": "Tanpa id"}, "external_id: Wajib"),
    ({"external_id": "", "title": "Id kosong"}, "external_id: Wajib"),
    ({"external_id": True, "title": "Id boolean"}, "external_id"),
    ({"external_id": "a"}, "title: Wajib"),
    ({"external_id": "a", "title": "   "}, "title: Wajib"),
    ({"external_id": "a", "title": "x" * 201}, "title: Terlalu panjang"),
    ({"external_id": "a", "title": 5}, "title: harus berupa teks"),
    ({"external_id": "a", "title": "t", "category": "tidak-ada"}, "kategori 'tidak-ada' tidak dikenal"),
    ({"external_id": "a", "title": "t", "tags": "bukan-daftar"}, None),  # one string is one tag
    ({"external_id": "a", "title": "t", "tags": [1]}, "tags"),
    ({"external_id": "a", "title": "t", "region_code": "99.99"}, "region_code '99.99' tidak dikenal"),
    ({"external_id": "a", "title": "t", "solved_at": "kemarin"}, "solved_at: Bukan tanggal ISO 8601"),
    ({"external_id": "a", "title": "t", "versions": ["bukan versi!"]}, "versions"),
])
def test_every_bad_field_is_named_with_its_line(world: World, tmp_path: Path, obj: dict[str, Any],
                                                expected: str | None) -> None:
    path = write(tmp_path, lines(GOOD[0], obj))
    if expected is None:
        call_command("kb_import", str(path), "--no-progress")
        assert Entry.objects.get(external_id="a").tags == ["bukan-daftar"]
        return
    message = run(path)
    assert "baris 2:" in message and expected in message, message
    assert Entry.objects.count() == 0


def test_empty_file_and_missing_file(world: World, tmp_path: Path) -> None:
    assert "berkas kosong" in run(write(tmp_path, b"\n\n"))
    with pytest.raises(CommandError, match="tidak ditemukan"):
        call_command("kb_import", str(tmp_path / "tidak-ada.jsonl"))


def test_skip_invalid_imports_the_rest_and_lists_skipped_lines(world: World, tmp_path: Path, capsys: Any) -> None:
    content = lines(GOOD[0], b"{rusak", GOOD[1], {"external_id": "z"}, GOOD[2], dict(GOOD[1], title="dobel")) + \
        b'{"external_id": "w", "title": "\xff"}\n'
    call_command("kb_import", str(write(tmp_path, content)), "--no-progress", "--skip-invalid")
    captured = capsys.readouterr()
    assert "3 baru" in captured.out and "4 dilewati" in captured.out
    for line in (2, 4, 6, 7):
        assert f"baris {line}:" in captured.err
    assert set(Entry.objects.values_list("external_id", flat=True)) == {"opensid-5249", "6120", "catatan-3"}


def test_bom_crlf_blank_lines_and_unknown_keys(world: World, tmp_path: Path, capsys: Any) -> None:
    content = b"\xef\xbb\xbf" + json.dumps(dict(GOOD[0], internal_note="x")).encode() + b"\r\n\r\n" + \
        json.dumps(GOOD[1]).encode() + b"\r\n"
    call_command("kb_import", str(write(tmp_path, content)), "--no-progress")
    captured = capsys.readouterr()
    assert "2 baru" in captured.out
    assert "internal_note" in captured.err
    assert Entry.objects.count() == 2


def test_progress_bar_and_count(world: World, tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "kb.jsonl"
    path.write_text("\n".join(json.dumps({"external_id": f"n{i}", "title": f"Catatan perbaikan nomor {i}",
                                          "answer": "Perbarui ke versi terbaru."}) for i in range(1200)),
                    encoding="utf-8")
    call_command("kb_import", str(path))
    captured = capsys.readouterr()
    assert "1200 baru" in captured.out
    assert "1200/1200" in captured.err  # tqdm's bar
    assert Entry.objects.filter(status="published").count() == 1200
    assert search("catatan perbaikan nomor 777")["results"][0]["external_id"] == "n777"
