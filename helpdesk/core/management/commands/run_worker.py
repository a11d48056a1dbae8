from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand

from helpdesk.core.worker import Worker


class Command(BaseCommand):
    help = "Menjalankan pekerja latar: outbox (notifikasi, indeks, Telegram) dan pekerjaan berkala."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--poll", type=float, default=None, help="detik antara pemeriksaan antrean")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = Worker(poll_seconds=options["poll"])

        def stop(signum: int, frame: Any) -> None:
            # Finish the job at hand, then leave; a second signal is not needed.
            worker.stop_event.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Pekerja {worker.worker_id} berjalan. Ctrl-C untuk berhenti.")
        worker.run_forever()
