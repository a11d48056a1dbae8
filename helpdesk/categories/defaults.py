"""The default categories (OpenSID areas) from the product brief; loaded by a data migration."""

DEFAULT_CATEGORIES: list[tuple[str, str, str]] = [
    ("instalasi-hosting", "Instalasi & Hosting", "Installation & hosting"),
    ("update-migrasi", "Update & Migrasi", "Updates & migration"),
    ("database-backup", "Database & Backup", "Database & backup"),
    ("kependudukan", "Kependudukan & Impor Data", "Population & data import"),
    ("surat-tte", "Surat & TTE", "Letters & e-signatures"),
    ("layanan-mandiri", "Layanan Mandiri & Anjungan", "Self-service & kiosk"),
    ("keuangan", "Keuangan & Siskeudes", "Finance & Siskeudes"),
    ("peta-wilayah", "Peta & Wilayah", "Maps & regions"),
    ("sinkronisasi", "Sinkronisasi (OpenDK, SDGs, Prodeskel)", "Synchronisation (OpenDK, SDGs, Prodeskel)"),
    ("web-tampilan", "Web & Tampilan", "Website & theme"),
    ("lainnya", "Lainnya", "Other"),
]
