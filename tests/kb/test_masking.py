"""Masking personal data: lokal-id's detection plus what it misses (NIK/KK written with dots or spaces, every common
phone form, e-mail addresses, the names of the accounts on the ticket); the editor's keep/mask choices."""

from __future__ import annotations

import pytest

from helpdesk.kb.masking import Finding, mask_entry_text, with_choices


def masked(text: str, names: tuple[str, ...] = (), profile: str = "review") -> tuple[str, list[Finding]]:
    result = mask_entry_text({"text": text}, names=names, profile=profile)  # type: ignore[arg-type]
    return result.fields["text"], result.findings


@pytest.mark.parametrize("number", [
    "5203012345670002",
    "5203.0123.4567.0002",
    "5203 0123 4567 0002",
    "5203-0123-4567-0002",
    "520301.234567.0002",
    "52 03 01 23 45 67 00 02",
    "3201234567890001",  # not a valid NIK date part: still sixteen digits of somebody
])
@pytest.mark.parametrize("profile", ["review", "import"])
def test_nik_in_every_grouping(number: str, profile: str) -> None:
    text, findings = masked(f"NIK warga {number} tidak bisa dicetak suratnya.", profile=profile)
    assert number not in text
    assert "[NIK_1]" in text
    assert [f.kind for f in findings] == ["NIK"]
    assert text == "NIK warga [NIK_1] tidak bisa dicetak suratnya."


@pytest.mark.parametrize("sentence", [
    "No. KK 5203.0123.4567.0009 ganda di data keluarga",
    "Kartu Keluarga: 5203 0123 4567 0009 ganda di data keluarga",
    "KK 5203012345670009 ganda di data keluarga",
])
def test_kk_numbers_are_masked_as_kk(sentence: str) -> None:
    text, findings = masked(sentence)
    assert "0009" not in text
    assert "[NO_KK_1]" in text
    assert findings[0].kind == "KK"


@pytest.mark.parametrize("phone", [
    "+62 812-3456-7890", "+6281234567890", "6281234567890", "62-812-3456-7890", "0812 3456 7890", "0812-3456-7890",
    "081234567890", "0812.3456.7890", "+62 (812) 3456-7890", "(0370) 123456", "(0370)123456", "0370-123456",
    "0370 123 456", "021-7654321", "+62 370 123456",
])
def test_phone_numbers_in_every_common_form(phone: str) -> None:
    text, findings = masked(f"Hubungi {phone} untuk konfirmasi.")
    assert phone not in text, text
    assert text == "Hubungi [NO_HP_1] untuk konfirmasi."
    assert findings[0].kind == "PHONE"


def test_one_phone_written_three_ways_is_one_placeholder() -> None:
    text, findings = masked("WA +62 812-3456-7890, telp 0812 3456 7890 atau 6281234567890; kantor (0370) 123456.")
    assert text == "WA [NO_HP_1], telp [NO_HP_1] atau [NO_HP_1]; kantor [NO_HP_2]."
    assert len(findings) == 2


@pytest.mark.parametrize("email", ["budi.santoso@gmail.com", "OPERATOR_desa+sid@desa-tanjungluar.go.id", "a@b.co"])
def test_email_addresses(email: str) -> None:
    text, findings = masked(f"Kirim ke {email}.")
    assert text == "Kirim ke [EMAIL_1]."
    assert findings[0].value == email


def test_names_of_the_accounts_on_the_ticket() -> None:
    names = ("Baiq Sri Wahyuni", "operator.tanjungluar", "Hendra Saputra", "Lalu Ahmad Fauzi")
    text, findings = masked(
        "Saya Baiq Sri Wahyuni (operator.tanjungluar). Lalu klik simpan. Terima kasih Bu Wahyuni, salam dari "
        "hendra saputra dan Pak Fauzi.", names=names)
    for value in ("Baiq", "Wahyuni", "operator.tanjungluar", "hendra saputra", "Fauzi"):
        assert value not in text
    assert "Lalu klik simpan" in text  # 'lalu' is a word, not only a Sasak title
    assert {f.origin for f in findings} == {"akun"}


def test_technical_text_is_left_alone() -> None:
    original = (
        "Update ke v2410.0.0 lalu jalankan migrasi; galat `Data too long for column 'nama'` dan error 500 di "
        "surat_ket_kelahiran hilang. Jam layanan 08.00-16.00, server 127.0.0.1 dan 192.168.1.10, tabel "
        "ref_penduduk_hamil, 1649 catatan, rilis 2024-10-01, status kawin, ibu hamil, agama."
    )
    for profile in ("review", "import"):
        text, findings = masked(original, profile=profile)  # type: ignore[arg-type]
        assert text == original, findings
        assert findings == []


def test_titles_question_and_answer_share_placeholders() -> None:
    result = mask_entry_text({
        "title": "NIK 5203.0123.4567.0002 ganda",
        "question": "Penduduk 5203 0123 4567 0002 muncul dua kali, hubungi 0812 3456 7890",
        "answer": "Hapus salah satu 5203012345670002; konfirmasi ke +62 812-3456-7890",
    })
    assert result.fields == {
        "title": "NIK [NIK_1] ganda",
        "question": "Penduduk [NIK_1] muncul dua kali, hubungi [NO_HP_1]",
        "answer": "Hapus salah satu [NIK_1]; konfirmasi ke [NO_HP_1]",
    }


def test_editor_keeps_a_value_masks_it_again_and_new_data_is_found() -> None:
    first = mask_entry_text({"answer": "Tanya Dinas Kominfo di kominfo@ntbprov.go.id atau Pak Hendra 081234567890."},
                            names=("Hendra Saputra",))
    by_kind = {f.kind: f for f in first.findings}
    assert set(by_kind) == {"EMAIL", "NAME", "PHONE"}
    # The editor keeps the office address (not personal), adds a NIK while editing.
    choices = with_choices(first.findings, keep={by_kind["EMAIL"].placeholder})
    edited = first.fields["answer"] + " NIK 5203 0123 4567 0002."
    second = mask_entry_text({"answer": edited}, previous=choices, names=("Hendra Saputra",))
    assert "kominfo@ntbprov.go.id" in second.fields["answer"]
    assert "081234567890" not in second.fields["answer"] and "Hendra" not in second.fields["answer"]
    assert [f.kind for f in second.new] == ["NIK"]
    assert "[NIK_1]" in second.fields["answer"]
    # Re-checking the address masks it again, wherever it was typed.
    third = mask_entry_text({"answer": second.fields["answer"] + " (kominfo@ntbprov.go.id)"},
                            previous=with_choices(second.findings, keep=set()))
    assert "kominfo@" not in third.fields["answer"]
    assert third.fields["answer"].count(by_kind["EMAIL"].placeholder) == 2
    assert third.new == []


def test_name_guesses_are_for_the_editor_not_for_unattended_imports() -> None:
    text, _ = masked("Pak Hendra sudah membantu.", profile="review")
    assert "Hendra" not in text
    text, _ = masked("Sekarang bisa cari C-Desa menggunakan nama pemilik luar desa.", profile="import")
    assert text == "Sekarang bisa cari C-Desa menggunakan nama pemilik luar desa."
