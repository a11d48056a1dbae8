from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bots import config
from bots.builtin import publish_commands
from bots.client import get_client
from bots.polling import Poller


class Command(BaseCommand):
    help = (
        "Jembatan Telegram dengan long polling (satu per token bot; instans kedua menunggu). "
        "Dengan TELEGRAM_MODE=webhook: --set-webhook URL mendaftarkan webhook (butuh TELEGRAM_WEBHOOK_SECRET)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--poll-timeout", type=int, default=25, help="detik per getUpdates (long polling)")
        parser.add_argument("--wait", type=float, default=5.0, help="detik antara percobaan mengambil kunci")
        parser.add_argument("--set-webhook", metavar="URL", help="daftarkan webhook ke URL ini lalu keluar")
        parser.add_argument("--delete-webhook", action="store_true", help="hapus webhook lalu keluar")

    def handle(self, *args: Any, **options: Any) -> None:
        if not config.enabled():
            raise CommandError("TELEGRAM_BOT_TOKEN belum diset: jembatan Telegram tidak aktif.")
        mode = config.mode()
        if options["set_webhook"]:
            if mode != config.WEBHOOK or not config.webhook_secret():
                raise CommandError(
                    "Webhook hanya untuk TELEGRAM_MODE=webhook dengan TELEGRAM_WEBHOOK_SECRET diset."
                )
            url = options["set_webhook"]
            secret = config.webhook_secret()
            get_client().run(
                lambda bot: bot.set_webhook(url, secret_token=secret, allowed_updates=_allowed())
            )
            publish_commands()
            self.stdout.write(f"Webhook diset ke {url} (dengan secret token); menu perintah diterbitkan.")
            return
        if options["delete_webhook"]:
            get_client().run(lambda bot: bot.delete_webhook())
            self.stdout.write("Webhook dihapus.")
            return
        if mode != config.POLLING:
            raise CommandError("TELEGRAM_MODE=webhook: pembaruan datang lewat webhook, long polling tidak dijalankan.")
        poller = Poller(poll_timeout=options["poll_timeout"], wait_seconds=options["wait"])

        def stop(signum: int, frame: Any) -> None:
            poller.stop_event.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Jembatan Telegram {poller.holder} berjalan (long polling). Ctrl-C untuk berhenti.")
        poller.run()


def _allowed() -> list[str]:
    from bots.polling import ALLOWED_UPDATES

    return list(ALLOWED_UPDATES)
