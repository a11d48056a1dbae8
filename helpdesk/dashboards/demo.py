"""Demo data that makes the dashboards worth opening: SID adoption across NTB's ten kabupaten/kota and eight
months of tickets from villages all over the province.

Deterministic (a fixed seed and hashes of region codes, so every machine shows the same picture) and
idempotent: adoption records are only added where none exist, and the history is written once (its tickets
are numbered `NTB-R…`). The history is written straight to the tables because the ticket services stamp
the current time and past months cannot be filed today; the SLA deadlines still come from `tickets.sla`.
"""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from helpdesk.accounts.access import forum_for_region
from helpdesk.accounts.models import ForumMembership
from helpdesk.categories.models import Category
from helpdesk.regions.models import Region
from helpdesk.tickets import sla
from helpdesk.tickets.models import Message, Rating, Status, Ticket

from .models import Source, UsesSid, VillageAdoption, release_of
from .services import recompute_adoption

HISTORY_PREFIX = "NTB-R"
MONTHS = 8
# Share of villages using SID per kabupaten/kota (percent): some past the province's 70 %, some far from it.
ADOPTION = {"52.01": 74, "52.02": 66, "52.03": 81, "52.04": 58, "52.05": 47, "52.06": 39, "52.07": 62,
            "52.08": 71, "52.71": 92, "52.72": 55}
VERSIONS = ["v2410.0.0", "v2409.1.0", "v2407.0.2", "v2404.0.0", "v2401.0.3", "v2312.0.0"]
HOSTINGS = ["shared", "shared", "vps", "siappakai", "siappakai", "lokal"]
TITLES = {
    "instalasi-hosting": ["Instalasi di hosting baru gagal di langkah database", "Situs desa tidak bisa dibuka setelah pindah hosting"],
    "update-migrasi": ["Update ke versi terbaru muncul halaman putih", "Migrasi database berhenti di tengah jalan"],
    "database-backup": ["Backup database gagal diunduh", "Restore database lama muncul error"],
    "kependudukan": ["Impor data penduduk gagal: Data too long for column", "Data KK dobel setelah impor"],
    "surat-tte": ["Surat tidak bisa dicetak (error 500)", "TTE BSrE gagal menandatangani surat"],
    "layanan-mandiri": ["Warga tidak bisa login Layanan Mandiri", "Anjungan tidak menampilkan antrian"],
    "keuangan": ["Impor data Siskeudes gagal", "Laporan APBDes tidak sesuai"],
    "peta-wilayah": ["Peta wilayah desa tidak muncul", "Titik lokasi kantor desa bergeser"],
    "sinkronisasi": ["Sinkronisasi OpenDK gagal", "Data SDGs tidak terkirim"],
    "web-tampilan": ["Tema web desa berantakan di HP", "Artikel tidak tampil di halaman depan"],
    "lainnya": ["Lupa kata sandi admin", "Pertanyaan umum tentang OpenSID"],
}
CATEGORY_WEIGHTS = {"kependudukan": 9, "surat-tte": 8, "update-migrasi": 7, "instalasi-hosting": 6, "layanan-mandiri": 5,
                    "database-backup": 4, "sinkronisasi": 4, "keuangan": 3, "web-tampilan": 3, "peta-wilayah": 2,
                    "lainnya": 2}


def _share(code: str) -> int:
    """A stable number 0-99 from a region code."""
    return int(hashlib.sha256(code.encode()).hexdigest()[:8], 16) % 100


def seed_adoption() -> int:
    """Adoption records for NTB's villages that have none yet; returns how many were added."""
    villages = list(Region.objects.filter(level=4, code__startswith="52.").values_list("code", flat=True))
    existing = set(VillageAdoption.objects.filter(desa_id__in=villages).values_list("desa_id", flat=True))
    now = timezone.now()
    records = []
    for code in villages:
        if code in existing:
            continue
        share, pick = _share(code), _share(code[::-1])
        target = ADOPTION.get(code[:5], 50)
        if share < target:
            version = VERSIONS[pick % len(VERSIONS)]
            records.append(VillageAdoption(
                desa_id=code, uses_sid=UsesSid.OPENSID if pick % 10 else UsesSid.OTHER, opensid_version=version,
                opensid_release=release_of(version), hosting=HOSTINGS[pick % len(HOSTINGS)],
                source=Source.IMPORT, confirmed_at=now - timedelta(days=pick), updated_at=now))
        else:
            records.append(VillageAdoption(desa_id=code, uses_sid=UsesSid.NONE if pick % 2 else UsesSid.UNKNOWN,
                                           source=Source.IMPORT, confirmed_at=now - timedelta(days=pick),
                                           updated_at=now))
    VillageAdoption.objects.bulk_create(records, batch_size=1000, ignore_conflicts=True)
    return len(records)


def _reporters(villages: list[str]) -> dict[str, Any]:
    """One verified operator for each village that files tickets in the history (created once)."""
    User = get_user_model()
    names = {f"operator.{code.replace('.', '')}": code for code in villages}
    have = {u.username: u for u in User.objects.filter(username__in=names)}
    missing = [User(username=name, name=f"Operator {code}", email=f"{name}@contoh.desa.id", desa_id=code,
                    operator_status="verified") for name, code in names.items() if name not in have]
    for user in missing:
        user.set_unusable_password()
    User.objects.bulk_create(missing, batch_size=500)
    return {u.desa_id: u for u in User.objects.filter(username__in=names) if u.desa_id}


def seed_history(count: int = 640) -> int:
    """Eight months of tickets in every state, with first responses, solutions, ratings and SLA deadlines."""
    if Ticket.objects.filter(number__startswith=HISTORY_PREFIX).exists():
        return 0
    rng = random.Random(52)  # a fixed seed: the same demo on every machine
    villages = list(Region.objects.filter(level=4, code__startswith="52.").order_by("code").values_list("code", flat=True))
    if not villages:
        return 0
    # A few villages ask again and again; many never ask.
    askers = rng.sample(villages, min(160, len(villages)))
    heavy = askers[:12]
    reporters = _reporters(askers)
    categories = {c.slug: c for c in Category.objects.filter(slug__in=CATEGORY_WEIGHTS)}
    slugs = [s for s in CATEGORY_WEIGHTS if s in categories]
    weights = [CATEGORY_WEIGHTS[s] for s in slugs]
    forums: dict[str, Any] = {}
    volunteers: dict[int, list[int]] = {}
    now = timezone.now()
    created_n = 0
    for i in range(count):
        desa = rng.choice(heavy) if rng.random() < 0.25 else rng.choice(askers)
        kab = desa[:5]
        if kab not in forums:
            forums[kab] = forum_for_region(kab)
        forum = forums[kab]
        if forum is None:
            continue
        if forum.pk not in volunteers:
            volunteers[forum.pk] = list(ForumMembership.objects.filter(forum=forum, is_active=True)
                                        .values_list("user_id", flat=True))
        age_days = rng.triangular(0, MONTHS * 30, MONTHS * 9)  # more tickets lately, as adoption grows
        created = now - timedelta(days=age_days, minutes=rng.randint(0, 600))
        priority = rng.choices(["rendah", "normal", "tinggi", "darurat"], [2, 10, 4, 1])[0]
        slug = rng.choices(slugs, weights)[0]
        due = sla.deadlines(created_at=created, priority=priority, region_code=desa, tz_name="Asia/Makassar",
                            forum_id=forum.pk)
        answered = age_days > 0.3 or rng.random() < 0.5
        first = created + timedelta(minutes=rng.lognormvariate(5.0, 1.1)) if answered else None
        solved = answered and age_days > 3 and rng.random() < 0.85
        resolved = (first or created) + timedelta(minutes=rng.lognormvariate(7.3, 1.0)) if solved else None
        if resolved and resolved > now:
            resolved = None
        status = Status.SELESAI if resolved else (Status.DITANGANI if first else Status.BARU)
        if not resolved and age_days > 60 and rng.random() < 0.6:
            status = Status.DITUTUP
        assignee = rng.choice(volunteers[forum.pk]) if first and volunteers[forum.pk] else None
        ticket = Ticket.objects.create(
            number=f"{HISTORY_PREFIX}{i + 1:05d}", title=rng.choice(TITLES[slug]),
            description="Contoh tiket untuk dasbor demo.", category=categories[slug], priority=priority,
            opensid_version=rng.choice(VERSIONS), hosting=rng.choice(HOSTINGS), status=status, desa_id=desa,
            reporter=reporters[desa], forum=forum, assignee_id=assignee, created_at=created,
            updated_at=resolved or first or created, first_response_at=first,
            first_response_due=due.first_response_due, resolution_due=due.resolution_due,
            first_response_warn_at=due.first_response_warn_at, resolution_warn_at=due.resolution_warn_at,
            resolved_at=resolved, closed_at=created + timedelta(days=30) if status == Status.DITUTUP else None,
        )
        if resolved and assignee:
            answer = Message.objects.create(ticket=ticket, author_id=assignee, body="Sudah dicoba, berhasil.",
                                            by_volunteer=True, created_at=resolved)
            Ticket.objects.filter(pk=ticket.pk).update(accepted_message=answer, reply_count=1)
            if rng.random() < 0.6:
                Rating.objects.create(ticket=ticket, score=rng.choices([1, 2, 3, 4, 5], [1, 1, 3, 8, 10])[0],
                                      rated_by=reporters[desa], volunteer_id=assignee, at=resolved)
        created_n += 1
    return created_n


@transaction.atomic
def seed_dashboards() -> None:
    seed_adoption()
    seed_history()
    recompute_adoption()
