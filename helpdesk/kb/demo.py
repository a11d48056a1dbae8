"""Demo knowledge base for `make run`: a handful of entries written by the project (not copied from anywhere),
through the services, so they are masked, reviewed and indexed like real ones. Idempotent by title."""

from __future__ import annotations

from django.db import transaction

from helpdesk.accounts.models import User
from helpdesk.tickets.models import Status, Ticket

from . import services
from .models import Entry
from .selectors import prefill_from_ticket

# title, question, answer, category, tags, versions
DEMO_ENTRIES: list[tuple[str, str, str, str, str, str]] = [
    (
        "Gagal impor data penduduk dari Excel: Data too long for column",
        "Waktu impor file Excel penduduk muncul pesan `Data too long for column 'nama'` dan impor berhenti.",
        "Pesan itu berarti ada isian yang lebih panjang dari kolom di database.\n\n"
        "1. Lihat nomor baris di pesan galat (mis. `at row 214`) dan buka baris itu di Excel.\n"
        "2. Kolom `nama` paling banyak 100 karakter. Biasanya gelar dan nama alias tertulis dobel; rapikan.\n"
        "3. Simpan, lalu impor ulang. Baris sebelum galat sudah masuk, jadi pakai pilihan *perbarui data*.",
        "kependudukan", "impor, excel, penduduk", "v2410.0.0",
    ),
    (
        "Tidak bisa login Layanan Mandiri, PIN selalu salah",
        "Warga sudah menerima PIN dari kantor desa, tetapi saat login Layanan Mandiri selalu muncul 'PIN salah'.",
        "PIN dicocokkan dengan NIK yang terdaftar. Periksa tiga hal:\n\n"
        "- NIK warga di menu **Kependudukan > Penduduk** sama persis dengan yang diketik (16 angka, tanpa spasi).\n"
        "- PIN yang dipakai adalah PIN terbaru; setiap reset membuat PIN lama tidak berlaku.\n"
        "- Akun tidak terkunci setelah beberapa kali salah. Buka **Layanan Mandiri > Pendaftar**, lalu buka kunci.",
        "layanan-mandiri", "layanan mandiri, pin, login", "",
    ),
    (
        "Surat tidak bisa dicetak, muncul error 500",
        "Setiap klik Cetak pada salah satu jenis surat muncul halaman error 500, surat lain normal.",
        "Error 500 pada satu jenis surat hampir selalu karena template surat lama yang belum disesuaikan.\n\n"
        "1. Buka `storage/logs` dan cari baris galat terbaru; biasanya menyebut kode isian yang tidak dikenal.\n"
        "2. Di **Pengaturan Surat**, unggah ulang template bawaan untuk surat itu atau perbaiki kode isiannya.\n"
        "3. Coba cetak lagi. Bila masih gagal, kirim isi log ke relawan lewat tiket.",
        "surat-tte", "cetak surat, error 500, template", "v2410.0.0",
    ),
    (
        "Halaman putih setelah update OpenSID",
        "Sesudah update ke versi terbaru, halaman admin hanya putih tanpa pesan apa pun.",
        "Halaman putih biasanya karena versi PHP di hosting lebih lama dari yang dibutuhkan versi baru.\n\n"
        "- Cek versi PHP di panel hosting; OpenSID terbaru membutuhkan PHP 8.1 atau lebih baru.\n"
        "- Setelah mengganti versi PHP, hapus isi folder `storage/framework/cache`.\n"
        "- Jalankan migrasi dari menu **Pengaturan > Database > Migrasi** sampai selesai.",
        "update-migrasi", "update, php, halaman putih", "v2410.0.0",
    ),
    (
        "Backup database gagal di hosting, file terpotong",
        "Backup database dari menu Database selalu berhenti di tengah, file .sql tidak lengkap.",
        "Hosting membatasi lama eksekusi skrip. Untuk database besar:\n\n"
        "1. Gunakan backup dari phpMyAdmin atau panel hosting (menu *Export*), bukan dari aplikasi.\n"
        "2. Atau naikkan `max_execution_time` di pengaturan PHP hosting bila diizinkan.\n"
        "3. Simpan hasil backup di luar server, minimal seminggu sekali.",
        "database-backup", "backup, database, hosting", "",
    ),
    (
        "Peta wilayah desa tidak tampil di halaman web",
        "Menu peta di web desa kosong, padahal koordinat kantor desa sudah diisi.",
        "Peta butuh dua hal: koordinat wilayah dan kunci peta.\n\n"
        "- Di **Identitas Desa**, isi titik koordinat dan gambar batas wilayah pada peta.\n"
        "- Di **Pengaturan > Peta**, pilih penyedia peta yang tidak membutuhkan kunci, atau isi kuncinya.\n"
        "- Muat ulang halaman web dengan Ctrl+F5 agar cache peramban terhapus.",
        "peta-wilayah", "peta, koordinat, web", "",
    ),
]


@transaction.atomic
def seed_kb() -> None:
    author = User.objects.filter(username="relawan.lotim").first()
    reviewer = User.objects.filter(username="koordinator.lotim").first()
    if author is None or reviewer is None:
        return
    for index, (title, question, answer, category, tags, versions) in enumerate(DEMO_ENTRIES):
        if Entry.objects.filter(title=title).exists():
            continue
        saved = services.entry_create(
            actor=author,
            data=services.EntryInput(title=title, question=question, answer=answer, category=category, tags=tags,
                                     versions=versions, origin_region="52.03"),
            submit=True,
        )
        # The last one stays in the coordinator's review queue, to show the approval step.
        if saved.outcome == "review" and index < len(DEMO_ENTRIES) - 1:
            services.entry_approve(entry=saved.entry, actor=reviewer)
    _from_a_ticket(author)


def _from_a_ticket(author: User) -> None:
    """A draft made from a solved demo ticket, its personal data masked, for "Terbitkan ke basis pengetahuan"."""
    ticket = Ticket.objects.filter(status__in=[Status.SELESAI, Status.DITUTUP], accepted_message__isnull=False,
                                   forum__slug="forsid-lombok-timur").order_by("pk").first()
    if ticket is None or Entry.objects.filter(source_ticket=ticket).exists():
        return
    prefill = prefill_from_ticket(ticket)
    services.entry_create(
        actor=author,
        data=services.EntryInput(title=prefill.title, question=prefill.question, answer=prefill.answer,
                                 category=prefill.category, versions=prefill.versions),
        source_ticket=ticket,
    )
