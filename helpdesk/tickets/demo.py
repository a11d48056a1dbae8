"""Demo tickets for `make run`: the problems NTB operators really bring, in every state, through the services.

Idempotent: a ticket is made once per (reporter, title). Texts are the project's own, written in the way
operators and volunteers write.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from helpdesk.accounts.models import Forum, ForumMembership

from . import services
from .models import CannedReply, Message, Ticket

DEMO_PASSWORD = "demo-sid-2026"  # noqa: S105 - the same demo password as helpdesk.demo.seed

# username, name, desa code
OPERATORS = [
    ("operator.tanjungluar", "Baiq Sri Wahyuni", "52.03.01.2001"),
    ("operator.masbagiktimur", "Lalu Hamdi", "52.03.05.2004"),
    ("operator.sembalun", "Muhammad Rizal", "52.03.15.2006"),
    ("operator.pene", "Siti Aminah", "52.03.20.2012"),
    ("operator.tolotangga", "Abdul Haris", "52.06.01.2005"),
    ("operator.riamau", "Nurfaidah", "52.06.05.2014"),
    ("operator.paruga", "Ikhsan Maulana", "52.72.01.1001"),
    ("operator.lunyuk", "Sri Handayani", "52.04.02.2001"),
    ("operator.kateng", "Lalu Wiradarma", "52.02.05.2004"),
]
EXTRA_VOLUNTEERS = [
    # username, name, forum slug, skills
    ("relawan2.lotim", "Yuliana Putri", "forsid-lombok-timur", ["layanan-mandiri", "web-tampilan"]),
    ("relawan.ntb", "Agus Salim", "forsid-ntb", ["sinkronisasi", "keuangan", "peta-wilayah"]),
    ("relawan.sumbawa", "Dedi Kurniawan", "forsid-sumbawa", ["instalasi-hosting", "database-backup"]),
]

# Each: reporter, title, description, category, priority, version, hosting, visibility, steps.
# Steps: ("reply", who, text) · ("note", who, text) · ("claim", who) · ("resolve", who, reply_no|None)
#        ("rate", score, comment) · ("close", who) · ("reopen", who) · ("duplicate", who, title_of_original)
TICKETS: list[tuple[str, str, str, str, str, str, str, str, list[tuple[Any, ...]]]] = [
    ("operator.tanjungluar", "Impor data penduduk gagal: Data too long for column 'nama'",
     "Sy impor file Excel penduduk dr Disdukcapil, muncul galat:\n\n```\nData too long for column 'nama' at row 214\n```\n"
     "Sudah coba 2x tetap sama. Mohon bantuannya.", "kependudukan", "tinggi", "v2410.0.0", "vps", "private",
     [("claim", "relawan.lotim"),
      ("reply", "relawan.lotim", "Baris 214 ada nama yg lebih dari 100 karakter. Biasanya karena gelar + nama alias "
                                 "digabung. Potong jadi maks 100 karakter lalu impor ulang ya."),
      ("reply", "operator.tanjungluar", "Betul, ada nama dobel ditulis 2x. Sudah sy perbaiki, impor berhasil!"),
      ("resolve", "operator.tanjungluar", 0), ("rate", 5, "Cepat dan jelas, terima kasih.")]),
    ("operator.tanjungluar", "Surat keterangan domisili tidak bisa dicetak (error 500)",
     "Setiap klik Cetak pada surat keterangan domisili muncul halaman error 500. Surat lain bisa.",
     "surat-tte", "normal", "v2410.0.0", "vps", "private",
     [("reply", "relawan.lotim", "Bisa kirim isi file `storage/logs` terbaru? Biasanya ada kode isian yg hilang di template."),
      ("note", "relawan.lotim", "Kemungkinan template RTF lama belum dimigrasi ke format baru.")]),
    ("operator.masbagiktimur", "Tidak bisa login Layanan Mandiri, PIN selalu salah",
     "Warga sudah dapat PIN dari kantor desa tp waktu login di Layanan Mandiri selalu 'PIN salah'. Sudah reset PIN juga.",
     "layanan-mandiri", "tinggi", "v2409.0.1", "shared", "public",
     [("claim", "relawan2.lotim"),
      ("reply", "relawan2.lotim", "Cek dulu NIK warga di data penduduk: kalau NIK masih sementara (diawali 0) Layanan "
                                  "Mandiri menolak. Perbarui NIK lalu buat PIN baru.")]),
    ("operator.sembalun", "Anjungan mandiri layar blank setelah update",
     "Setelah update ke versi terbaru, halaman anjungan hanya putih. Di komputer biasa menu admin normal.",
     "layanan-mandiri", "normal", "v2410.0.0", "lokal", "private", []),
    ("operator.pene", "Cara backup database sebelum update?",
     "Mau update OpenSID tp takut data hilang. Gmn cara backup database yg benar? Hostingnya shared.",
     "database-backup", "rendah", "v2407.0.0", "shared", "public",
     [("reply", "relawan.lotim", "Dari menu Pengaturan > Database > Backup, unduh file .sql. Simpan juga folder "
                                 "`desa/` lewat File Manager hosting. Setelah itu baru update."),
      ("resolve", "operator.pene", 0), ("rate", 4, "Sudah bisa backup."), ("close", "operator.pene")]),
    ("operator.tolotangga", "Migrasi database gagal setelah update ke v2410",
     "Muncul pesan migrasi gagal di tabel `log_surat`. Website tidak bisa dibuka sama sekali.",
     "update-migrasi", "darurat", "v2410.0.0", "vps", "private",
     [("claim", "relawan.bima"),
      ("reply", "relawan.bima", "Jalankan ulang migrasi dari menu Database setelah memastikan versi MySQL minimal 5.7. "
                                "Kalau masih gagal kirim tangkapan layar pesannya."),
      ("reply", "operator.tolotangga", "MySQL di VPS masih 5.6. Sy minta tolong penyedia VPS untuk upgrade dulu.")]),
    ("operator.riamau", "Sinkronisasi ke OpenDK gagal: token tidak valid",
     "Waktu kirim data ke OpenDK kecamatan muncul 'token tidak valid'. Token sudah sy salin dr OpenDK.",
     "sinkronisasi", "normal", "v2409.0.1", "vps", "private",
     [("reply", "relawan.bima", "Pastikan alamat OpenDK memakai https dan token disalin tanpa spasi di akhir.")]),
    ("operator.paruga", "Peta wilayah desa tidak tampil di halaman depan",
     "Peta kosong abu-abu, padahal koordinat sudah diisi di Identitas Desa.", "peta-wilayah", "rendah",
     "v2408.0.0", "shared", "private", []),
    ("operator.lunyuk", "Instalasi OpenSID di hosting baru: halaman putih",
     "Baru pasang OpenSID di hosting baru, setelah upload dan ekstrak cuma muncul halaman putih.",
     "instalasi-hosting", "tinggi", "v2410.0.0", "shared", "private",
     [("claim", "relawan.sumbawa"),
      ("reply", "relawan.sumbawa", "Versi PHP hosting berapa? OpenSID terbaru perlu PHP 8.1. Ganti di cPanel > Select PHP Version."),
      ("reply", "operator.lunyuk", "Ternyata PHP 7.4. Sudah diganti ke 8.1 dan berhasil terpasang."),
      ("resolve", "relawan.sumbawa", 0)]),
    ("operator.kateng", "Data keuangan Siskeudes tidak terbaca",
     "Impor dari Siskeudes 2.0.x, muncul 'format file tidak dikenali'.", "keuangan", "normal", "v2409.0.1",
     "vps", "private",
     [("claim", "relawan.ntb"),
      ("reply", "relawan.ntb", "OpenSID membaca file .mde dari Siskeudes. Kirim file hasil ekspor, bukan file backup .zip."),
      ("resolve", "relawan.ntb", 0), ("reopen", "operator.kateng"),
      ("reply", "operator.kateng", "Sudah pakai file .mde tapi tahun anggaran 2024 tetap kosong.")]),
    ("operator.masbagiktimur", "TTE BSrE: dokumen gagal ditandatangani",
     "Waktu TTE surat muncul 'NIK tidak terdaftar' padahal kades sudah punya sertifikat BSrE.",
     "surat-tte", "tinggi", "v2410.0.0", "shared", "private",
     [("claim", "relawan.lotim"), ("note", "relawan.lotim", "Cek apakah NIK kades di data perangkat sama dengan di BSrE."),
      ("reply", "relawan.lotim", "NIK kades di menu Pemerintah Desa harus sama persis dengan NIK saat daftar BSrE. Mohon dicek.")]),
    ("operator.sembalun", "Jumlah penduduk di statistik tidak sama dengan data",
     "Statistik di halaman depan 4.210 jiwa tp di menu Penduduk 4.198. Kenapa beda?", "kependudukan", "rendah",
     "v2409.0.1", "lokal", "public",
     [("reply", "relawan2.lotim", "Statistik juga menghitung penduduk dengan status dasar 'pergi' yg belum dimutasi. Cek filter status dasar."),
      ("resolve", "operator.sembalun", 0), ("rate", 4, "")]),
    ("operator.tolotangga", "Website desa lemot sekali",
     "Buka halaman depan bisa 30 detik lebih. Hosting di VPS 1 GB.", "web-tampilan", "normal", "v2408.0.0",
     "vps", "private", []),
    ("operator.pene", "Anjungan: antrian surat dobel",
     "Di anjungan, warga klik sekali tp permohonan surat masuk 2 kali (dobel).", "layanan-mandiri", "normal",
     "v2410.0.0", "lokal", "private",
     [("duplicate", "relawan.lotim", "Anjungan mandiri layar blank setelah update")]),
    ("operator.riamau", "Lupa password admin OpenSID",
     "Admin lama sudah pindah tugas, password tidak ada yg tahu. Bagaimana reset?", "instalasi-hosting", "tinggi",
     "v2407.0.0", "shared", "private",
     [("claim", "relawan.bima"),
      ("reply", "relawan.bima", "Reset lewat phpMyAdmin: tabel `user`, ganti kolom password dgn hash baru. Panduan langkahnya sy kirim di Telegram."),
      ("resolve", "relawan.bima", 0), ("close", "relawan.bima")]),
    ("operator.lunyuk", "Prodeskel: data tidak terkirim",
     "Menu Prodeskel tampil tp tombol kirim tidak berbuat apa-apa.", "sinkronisasi", "normal", "v2410.0.0",
     "shared", "private", []),
    ("operator.paruga", "Kode wilayah kelurahan salah di identitas",
     "Kode kelurahan tertulis 52.72.01.2001 padahal seharusnya 1001.", "peta-wilayah", "normal", "v2409.0.1",
     "shared", "private",
     [("claim", "relawan.bima"),
      ("reply", "relawan.bima", "Ubah di Identitas Desa > Kode Desa, lalu simpan. Kode kelurahan memang diawali 1.")]),
    ("operator.kateng", "Bagaimana cara menambah admin baru?",
     "Kami mau tambah 1 operator lagi di kantor desa.", "lainnya", "rendah", "v2410.0.0", "vps", "public",
     [("reply", "relawan.ntb", "Menu Pengaturan > Pengguna > Tambah. Pilih grup Operator, jangan Administrator."),
      ("resolve", "operator.kateng", 0), ("rate", 5, "Mantap")]),
    ("operator.tanjungluar", "Cetak KK kolom tanggal lahir terpotong",
     "Di cetakan Kartu Keluarga, tanggal lahir anggota terakhir terpotong di kertas F4.", "kependudukan", "rendah",
     "v2410.0.0", "vps", "private",
     [("reply", "relawan.lotim", "Atur margin bawah di Pengaturan > Cetak menjadi 1 cm, lalu pilih ukuran kertas F4.")]),
    ("operator.sembalun", "Gagal upload foto artikel: ukuran terlalu besar",
     "Foto dari HP 6 MB tidak bisa diunggah ke artikel berita desa.", "web-tampilan", "rendah", "v2409.0.1",
     "lokal", "public",
     [("reply", "relawan2.lotim", "Batas unggah di server lokal 2 MB. Perkecil foto dulu atau ubah upload_max_filesize di php.ini."),
      ("resolve", "operator.sembalun", 0)]),
    ("operator.paruga", "Menu Bantuan sosial kosong setelah impor",
     "Data peserta bansos sudah diimpor tapi daftar tetap kosong.", "kependudukan", "normal", "v2410.0.0",
     "shared", "private", []),
    ("operator.riamau", "SDGs desa tidak muncul nilainya",
     "Menu SDGs hanya berputar (loading) terus, nilai tidak keluar.", "sinkronisasi", "normal", "v2409.0.1",
     "vps", "private",
     [("claim", "relawan.bima"), ("note", "relawan.bima", "Server SDGs Kemendes sering lambat sore hari, coba pagi.")]),
    ("operator.lunyuk", "Sertifikat SSL kedaluwarsa, situs tidak aman",
     "Browser menampilkan 'koneksi tidak aman' di situs desa.", "instalasi-hosting", "tinggi", "v2410.0.0",
     "shared", "private",
     [("claim", "relawan.sumbawa"),
      ("reply", "relawan.sumbawa", "Aktifkan AutoSSL di cPanel lalu tunggu 15 menit. Kalau tetap, hubungi penyedia hosting.")]),
    ("operator.kateng", "Backup otomatis harian bisa diatur?",
     "Apakah OpenSID bisa backup sendiri tiap malam?", "database-backup", "rendah", "v2410.0.0", "vps", "public", []),
    ("operator.tolotangga", "Nomor surat melompat setelah hapus surat",
     "Sy hapus 1 surat keliru, nomor berikutnya jadi loncat 2.", "surat-tte", "rendah", "v2409.0.1", "vps",
     "private",
     [("reply", "relawan.bima", "Atur ulang penomoran di Pengaturan Surat > Nomor terakhir."),
      ("resolve", "relawan.bima", 0), ("close", "relawan.bima")]),
    ("operator.masbagiktimur", "Grafik APBDes tidak tampil di halaman depan",
     "Widget APBDes kosong padahal data keuangan sudah diisi.", "keuangan", "normal", "v2410.0.0", "shared",
     "private", []),
    ("operator.pene", "Tidak bisa tambah wilayah dusun baru",
     "Tombol simpan di menu Wilayah Administratif tidak merespons.", "peta-wilayah", "normal", "v2407.0.0",
     "shared", "private",
     [("claim", "relawan.lotim"),
      ("reply", "relawan.lotim", "Versi v2407 ada bug di form ini; mohon update ke v2410 lalu coba lagi."),
      ("reply", "operator.pene", "Sudah update, tetap tidak bisa simpan.")]),
]


def _user(username: str, name: str, **fields: Any) -> Any:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"name": name, "email": f"{username}@contoh.desa.id", **fields}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _play(ticket: Ticket, steps: list[tuple[Any, ...]], users: dict[str, Any]) -> None:
    replies: list[Message] = []
    for step in steps:
        kind = step[0]
        if kind == "reply":
            replies.append(services.message_create(ticket=ticket, author=users[step[1]], body=step[2]))
        elif kind == "note":
            services.message_create(ticket=ticket, author=users[step[1]], body=step[2], internal=True)
        elif kind == "claim":
            services.ticket_claim(ticket=ticket, actor=users[step[1]])
        elif kind == "resolve":
            answer = replies[step[2]].pk if step[2] is not None else None
            services.ticket_resolve(ticket=ticket, actor=users[step[1]], message_id=answer)
        elif kind == "rate":
            services.ticket_rate(ticket=ticket, actor=ticket.reporter, score=step[1], comment=step[2])
        elif kind == "close":
            services.ticket_close(ticket=ticket, actor=users[step[1]])
        elif kind == "reopen":
            services.ticket_reopen(ticket=ticket, actor=users[step[1]])
        elif kind == "duplicate":
            original = Ticket.objects.filter(title=step[2]).first()
            if original is not None:
                services.ticket_mark_duplicate(ticket=ticket, actor=users[step[1]], of=original)
        ticket.refresh_from_db()


@transaction.atomic
def seed_tickets() -> int:
    """Create the demo operators, extra volunteers and tickets that are missing. Returns how many were made."""
    users: dict[str, Any] = {u.username: u for u in get_user_model().objects.filter(username__contains=".")}
    for username, name, desa in OPERATORS:
        if username not in users:
            users[username] = _user(username, name, desa_id=desa, operator_status="verified")
    from helpdesk.categories.models import Category

    for username, name, slug, skills in EXTRA_VOLUNTEERS:
        forum = Forum.objects.filter(slug=slug).first()
        if forum is None:
            continue
        users[username] = users.get(username) or _user(username, name)
        membership, created = ForumMembership.objects.get_or_create(forum=forum, user=users[username])
        if created:
            membership.categories.set(Category.objects.filter(slug__in=skills))
    _seed_canned_replies()
    made = 0
    for reporter, title, description, category, priority, version, hosting, visibility, steps in TICKETS:
        author = users.get(reporter)
        if author is None or Ticket.objects.filter(reporter=author, title=title).exists():
            continue
        ticket = services.ticket_create(
            reporter=author, title=title, description=description, category=category, priority=priority,
            opensid_version=version, hosting=hosting, visibility=visibility,
        )
        if all(name in users for step in steps for name in step[1:2] if isinstance(name, str) and "." in name):
            _play(ticket, steps, users)
        made += 1
    return made


# A few answers volunteers give every week, for every team (the placeholders are filled when used).
CANNED_REPLIES = [
    ("Minta versi dan tangkapan layar",
     "Halo {nama_operator}, terima kasih laporannya. Agar kami bisa memeriksa tiket {nomor_tiket}, mohon kirim "
     "versi OpenSID Desa {nama_desa} (terlihat di pojok kiri bawah halaman admin) dan tangkapan layar pesan galatnya."),
    ("Cek versi PHP di hosting",
     "Halo {nama_operator}, galat seperti ini biasanya muncul bila PHP di hosting terlalu lama. Pastikan PHP minimal "
     "8.1 di panel hosting Desa {nama_desa}, lalu coba lagi. Kabari kami di tiket ini hasilnya. Salam, {nama_relawan}"),
    ("Sudah diperbaiki, mohon dicoba",
     "Halo {nama_operator}, perbaikan untuk \"{judul_tiket}\" sudah kami jalankan. Mohon dicoba lagi; bila sudah "
     "berhasil, tandai tiket ini selesai. Terima kasih, {forum}."),
]


def _seed_canned_replies() -> None:
    for title, body in CANNED_REPLIES:
        CannedReply.objects.get_or_create(forum=None, title=title, defaults={"body": body})
