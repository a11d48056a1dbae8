"""The sign-up pages without JavaScript: search on the server, or step by step, then the account form."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from helpdesk.accounts.models import User
from helpdesk.regions.services import import_regions

from .conftest import World


@pytest.fixture
def ntb(world: World) -> World:
    import_regions(["52"])  # the real names of NTB's 1,166 desa/kelurahan
    return world


def links(html: str) -> list[str]:
    return re.findall(r'href="\?desa=([\d.]+)"', html)


def test_search_by_name_lists_desa_with_their_place(ntb: World, client: Client) -> None:
    page = client.get("/daftar/", {"cari": "tanjung luar"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "52.03.01.2001" in links(html)
    assert "Keruak" in html and "Lombok Timur" in html
    assert "<script>" not in html and "style=" not in html
    assert 'src="/static/js/desa-picker.js"' in html


def test_search_by_code_works_with_or_without_dots(ntb: World, client: Client) -> None:
    assert links(client.get("/daftar/", {"cari": "5203012001"}).content.decode()) == ["52.03.01.2001"]
    assert links(client.get("/daftar/", {"cari": "52.03.01.2001"}).content.decode()) == ["52.03.01.2001"]
    assert "Tidak ada desa/kelurahan yang cocok" in client.get("/daftar/", {"cari": "zzzz"}).content.decode()


def test_step_by_step_down_to_the_desa(ntb: World, client: Client) -> None:
    top = client.get("/daftar/").content.decode()
    assert 'name="wilayah"' in top and 'value="52"' in top
    province = client.get("/daftar/", {"wilayah": "52"}).content.decode()
    assert 'value="52.03"' in province and "Kabupaten/kota" in province
    regency = client.get("/daftar/", {"wilayah": "52.03"}).content.decode()
    assert 'value="52.03.01"' in regency and "Kecamatan" in regency
    district = client.get("/daftar/", {"wilayah": "52.03.01"}).content.decode()
    assert 'name="desa"' in district and 'value="52.03.01.2001"' in district
    form = client.get("/daftar/", {"desa": "52.03.01.2001"}).content.decode()
    assert 'name="desa_code"' in form and 'value="52.03.01.2001"' in form and "Tanjung Luar" in form
    assert 'href="/daftar/?wilayah=52.03.01"' in form  # "ganti desa" goes back one step


def test_the_account_form_creates_a_pending_operator_and_signs_them_in(ntb: World, client: Client) -> None:
    response = client.post(
        "/daftar/",
        {
            "desa_code": "52.03.01.2001",
            "name": "Lalu Wire",
            "username": "lalu.wire",
            "email": "lalu@contoh.desa.id",
            "phone": "+62 819-1234-5678",
            "password1": "Labuhan-Haji-1",
            "password2": "Labuhan-Haji-1",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/daftar/selesai/"
    user = User.objects.get(username="lalu.wire")
    assert (user.operator_status, user.desa_id, user.phone) == ("pending", "52.03.01.2001", "+6281912345678")
    done = client.get("/daftar/selesai/").content.decode()
    assert "menunggu verifikasi" in done


def test_the_account_form_shows_every_problem(ntb: World, client: Client) -> None:
    response = client.post(
        "/daftar/",
        {
            "desa_code": "52.03.01.2001",
            "name": "",
            "username": "op_tanjungluar",
            "email": "op_tanjungluar@contoh.desa.id",
            "phone": "123",
            "password1": "pendek",
            "password2": "lain",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Kedua kata sandi tidak sama" in html
    assert User.objects.filter(username="op_tanjungluar").count() == 1
    response = client.post(
        "/daftar/",
        {"desa_code": "52.03.01.2001", "name": "A", "username": "op_tanjungluar", "email": "x@contoh.desa.id",
         "phone": "123", "password1": "12345678", "password2": "12345678"},
    )
    html = response.content.decode()
    assert "sudah dipakai" in html and "Nomor HP tidak valid" in html and "angka" in html


def test_a_non_village_code_goes_back_to_the_picker(ntb: World, client: Client) -> None:
    page = client.get("/daftar/", {"desa": "52.03.01"})
    assert page.status_code == 200 and "tidak dikenal" in page.content.decode()
    posted = client.post("/daftar/", {"desa_code": "52.03", "username": "x"})
    assert posted.status_code == 200 and 'name="cari"' in posted.content.decode()
    assert not User.objects.filter(username="x").exists()


def test_sign_in_page_and_header_links(world: World, client: Client) -> None:
    html = client.get("/").content.decode()
    assert 'href="/masuk/"' in html and 'href="/daftar/"' in html
    client.force_login(world.coord_lotim)
    html = client.get("/").content.decode()
    assert 'href="/verifikasi-operator/"' in html and 'href="/forsid/"' in html and 'href="/profil/"' in html
    client.force_login(world.operator)
    html = client.get("/").content.decode()
    assert 'href="/verifikasi-operator/"' not in html and 'href="/forsid/"' not in html


def test_forum_pages(world: World, client: Client) -> None:
    client.force_login(world.coord_lotim)
    assert "ForSID Lombok Timur" in client.get("/forsid/").content.decode()
    page = client.get(f"/forsid/{world.lotim.pk}/").content.decode()
    assert "relawan_lotim" in page and "Nonaktifkan" in page and "Undang relawan" in page
    # The coordinator's other pages are reachable from the forum's page, and open for them.
    for linked in (f"/forsid/{world.lotim.pk}/kepuasan/", "/forum/moderasi/"):
        assert f'href="{linked}"' in page and client.get(linked).status_code == 200
    assert client.get(f"/forsid/{world.bima.pk}/").status_code == 403
    assert client.get(f"/forsid/{world.bima.pk}/undangan/").status_code == 403
    added = client.post(f"/forsid/{world.lotim.pk}/anggota/", {"username": "warga", "role": "volunteer"})
    assert added.status_code == 302
    missing = client.post(f"/forsid/{world.lotim.pk}/anggota/", {"username": "siapa", "role": "volunteer"})
    assert missing.status_code == 400 and "tidak ditemukan" in missing.content.decode()
    off = client.post(f"/forsid/{world.lotim.pk}/anggota/{world.vol_lotim.pk}/nonaktifkan/")
    assert off.status_code == 302
    client.force_login(world.vol_lotim)
    assert client.get(f"/forsid/{world.lotim.pk}/").status_code == 403  # no longer a member
    client.force_login(world.vol_bima)
    page = client.get(f"/forsid/{world.bima.pk}/").content.decode()
    assert "Nonaktifkan" not in page and "Undang relawan" not in page and "/forum/moderasi/" not in page
    assert client.get(f"/forsid/{world.bima.pk}/undangan/").status_code == 403
