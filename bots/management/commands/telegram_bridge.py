from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bots import config
from bots.client import get_client
from bots.polling import Poller


class Command(BaseCommand):
    help = (
        "Jembatan Telegram dengan long polling (satu per token bot; instans kedua menunggu). "
        "--set-webhook URL beralih ke mode webhook."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--poll-timeout", type=int, default=25, help="detik per getUpdates (long polling)")
        parser.add_argument("--wait", type=float, default=5.0, help="detik antara percobaan mengambil kunci")
        parser.add_argument("--set-webhook", metavar="URL", help="daftarkan webhook ke URL ini lalu keluar")
        parser.add_argument("--delete-webhook", action="store_true", help="hapus webhook lalu keluar")

    def handle(self, *args: Any, **options: Any) -> None:
        if not config.enabled():
            raise CommandError("TELEGRAM_BOT_TOKEN belum diset: jembatan Telegram tidak aktif.")
        if options["set_webhook"]:
            url = options["set_webhook"]
            secret = config.webhook_secret() or None
            get_client().run(
                lambda bot: bot.set_webhook(url, secret_token=secret, allowed_updates=_allowed())
            )
            self.stdout.write(f"Webhook diset ke {url}{' (dengan secret token)' if secret else ''}.")
            return
        if options["delete_webhook"]:
            get_client().run(lambda bot: bot.delete_webhook())
            self.stdout.write("Webhook dihapus.")
            return
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
