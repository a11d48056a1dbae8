"""`manage.py adoption_import`: line-numbered errors, nothing written on a bad line, idempotent by desa code."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from helpdesk.dashboards.models import Source, UsesSid, VillageAdoption
from tests.dashboards.conftest import A, B, C, Dash, E

GOOD = (
    "kode_desa,memakai_sid,versi_opensid,hosting,alamat_situs,dikonfirmasi\n"
    f"{B},opensid,2410.0.0,siappakai,https://ketapangraya.desa.id,2026-10-01\n"
    f"{C.replace('.', '')},tidak,,,,\n"
    f"{E},other,,lainnya,,2026-09-15T10:00:00+08:00\n"
)


def run(tmp_path: Path, text: str, *args: str) -> tuple[str, str]:
    path = tmp_path / "adopsi.csv"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("adoption_import", str(path), "--no-progress", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_and_reimport_is_idempotent(dash: Dash, tmp_path: Path) -> None:
    out, _ = run(tmp_path, GOOD)
    assert "1 baru, 2 diperbarui, 0 tidak berubah" in out
    b = VillageAdoption.objects.get(desa_id=B)
    assert (b.uses_sid, b.opensid_version, b.opensid_release, b.hosting, b.site_url, b.source) == (
        UsesSid.OPENSID, "v2410.0.0", 2410, "siappakai", "https://ketapangraya.desa.id", Source.IMPORT)
    assert b.confirmed_at is not None and timezone.localtime(b.confirmed_at).date().isoformat() == "2026-10-01"
    assert VillageAdoption.objects.get(desa_id=C).uses_sid == UsesSid.NONE
    out, _ = run(tmp_path, GOOD)
    assert "0 baru, 0 diperbarui, 3 tidak berubah" in out
    assert VillageAdoption.objects.count() == 5


def test_a_bad_line_writes_nothing(dash: Dash, tmp_path: Path) -> None:
    before = list(VillageAdoption.objects.order_by("desa_id").values_list("desa_id", "uses_sid", "opensid_version"))
    bad = GOOD + "52.03.99.2999,opensid,,,,\n" + f"{A},mungkin,,cloud,ftp://x,kemarin\n" + f"{B},none,,,,\n"
    with pytest.raises(CommandError) as err:
        run(tmp_path, bad)
    text = str(err.value)
    assert "tidak ada yang ditulis" in text
    assert "Baris 5: desa 52.03.99.2999 tidak dikenal" in text
    assert "Baris 6:" in text and "memakai_sid" in text and "hosting" in text and "alamat situs" in text
    assert "Baris 7: desa 52.03.01.2002 sudah ada di baris 2" in text
    after = list(VillageAdoption.objects.order_by("desa_id").values_list("desa_id", "uses_sid", "opensid_version"))
    assert after == before


def test_skip_invalid_imports_the_rest(dash: Dash, tmp_path: Path) -> None:
    out, err = run(tmp_path, GOOD + "52.03.99.2999,opensid,,,,\n", "--skip-invalid")
    assert "1 dilewati" in out and "Baris 5" in err
    assert VillageAdoption.objects.get(desa_id=B).uses_sid == UsesSid.OPENSID


def test_missing_code_column(dash: Dash, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Baris 1"):
        run(tmp_path, "desa,sid\nx,y\n")
