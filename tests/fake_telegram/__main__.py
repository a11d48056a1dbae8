"""`python -m tests.fake_telegram --port 8081`: a fake Bot API for `make run` demos and out-of-process tests.

Point the service at it with TELEGRAM_BOT_TOKEN=<token> TELEGRAM_API_BASE_URL=http://127.0.0.1:8081/bot.
With --demo it creates a forum supergroup and a plain group with the bot as admin and prints their ids.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from .server import FakeTelegram


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_telegram")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-token")
    parser.add_argument("--username", default="sid_helpdesk_bot")
    parser.add_argument("--limits", action="store_true", help="enforce Telegram's flood limits (429)")
    parser.add_argument("--demo", action="store_true", help="create a demo volunteer, forum and group")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    fake = FakeTelegram(args.token, host=args.host, port=args.port, bot_username=args.username).start()
    if args.limits:
        fake.set_limits()
    print(f"Fake Telegram Bot API on {fake.url}  token={fake.token}", flush=True)
    print(f"  TELEGRAM_BOT_TOKEN={fake.token} TELEGRAM_API_BASE_URL={fake.base_url}", flush=True)
    if args.demo:
        volunteer = fake.create_user("Relawan Demo", "relawan_demo")
        forum = fake.create_supergroup("ForSID Demo (topik)", forum=True, members=[volunteer["id"]],
                                       bot_admin=True, can_manage_topics=True)
        group = fake.create_group("ForSID Demo (grup)", members=[volunteer["id"]], bot_admin=True)
        print(f"  volunteer user id={volunteer['id']}  forum chat id={forum}  group chat id={group}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    fake.stop()


if __name__ == "__main__":
    main()
