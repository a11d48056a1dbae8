"""import_regions: idempotent, updates renamed regions, per province or all, with a progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from helpdesk.regions import services
from helpdesk.regions.models import Region


def test_import_one_province_is_idempotent(db: Any) -> None:
    first = services.import_regions(["52"])
    assert first.created == first.total == Region.objects.count()
    assert Region.objects.filter(level=4).count() == 1166
    assert Region.objects.filter(level=3).count() == 117
    assert Region.objects.filter(level=2).count() == 10
    again = services.import_regions(["52"])
    assert (again.created, again.updated, again.total) == (0, 0, first.total)
    assert Region.objects.count() == first.total


def test_a_renamed_region_is_updated(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    services.import_regions(["52"])
    original = services._source_rows

    def renamed(provinces: list[str] | None) -> Iterator[tuple[str, str, str, str]]:
        for code, name, kind, postal in original(provinces):
            yield code, ("Tanjung Luar Baru" if code == "52.03.01.2001" else name), kind, postal

    monkeypatch.setattr(services, "_source_rows", renamed)
    stats = services.import_regions(["52"])
    assert (stats.created, stats.updated) == (0, 1)
    desa = Region.objects.get(code="52.03.01.2001")
    assert desa.name == "Tanjung Luar Baru" and desa.search_name == "tanjung luar baru"


def test_the_command_reports_and_refuses_bad_arguments(db: Any) -> None:
    out = StringIO()
    call_command("import_regions", "--province", "52", stdout=out, stderr=StringIO())
    assert "1294 wilayah diproses: 1294 baru" in out.getvalue()  # 1 + 10 + 117 + 1166
    with pytest.raises(CommandError):
        call_command("import_regions", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("import_regions", "--province", "99", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("import_regions", "--province", "52", "--all", stdout=StringIO())
