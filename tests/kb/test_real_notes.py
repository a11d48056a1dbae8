"""End to end with the real OpenSID release notes (../shared/data, read at run time, never copied here): converted
to the contract's JSONL in tmp_path, imported with `kb_import`, found through `/api/v1/kb/search/`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from helpdesk.kb.models import Entry
from tests.search_eval.core import default_corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def notes_jsonl(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    source = default_corpus()
    if not source.exists() or source.suffix != ".tsv":
        pytest.skip(f"shared data file absent: {source}")
    notes: dict[str, str] = {}
    out = tmp_path / "catatan-rilis.jsonl"
    with out.open("w", encoding="utf-8") as handle:
        for line in source.read_text(encoding="utf-8").splitlines():
            number, _, note = line.partition("\t")
            if not number.strip() or not note.strip():
                continue
            notes[number.strip()] = note.strip()
            handle.write(json.dumps({"external_id": number.strip(), "title": note.strip()[:200],
                                     "answer": note.strip(), "tags": ["catatan-rilis"]}, ensure_ascii=False) + "\n")
    return out, notes


def test_release_notes_import_and_search(notes_jsonl: tuple[Path, dict[str, str]], capsys: Any) -> None:
    path, notes = notes_jsonl
    call_command("kb_import", str(path), "--no-progress")
    assert f"{len(notes)} baru" in capsys.readouterr().out
    assert Entry.objects.filter(status="published").count() == len(notes) > 1600

    response = APIClient().get("/api/v1/kb/search/", {"q": "impor penduduk"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] >= 5
    top = body["results"][:5]
    assert len(top) == 5
    for hit in top:
        note = notes[hit["external_id"]].lower()
        assert re.search(r"impor", note) and "penduduk" in note, note
        assert "<mark>" in hit["snippet"] or "<mark>" in hit["title"] or "impor" in hit["title"].lower()
        assert hit["url"].startswith("http://testserver/kb/")
    # the same, from the shell
    call_command("kb_search", "impor penduduk", "--json", "--limit", "3")
    shell = json.loads(capsys.readouterr().out)
    assert [r["external_id"] for r in shell["results"]] == [r["external_id"] for r in body["results"][:3]]

    # Importing the same file again changes nothing.
    call_command("kb_import", str(path), "--no-progress")
    assert f"0 baru, 0 diperbarui, {len(notes)} tidak berubah" in capsys.readouterr().out
