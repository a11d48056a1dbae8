"""Telegram bridge workloads, against the fake Bot API.

- Outbound throughput across 100 groups with Telegram's limits enforced by the fake (30 msg/s overall,
  20/min per group, 1/s per chat), sent by two real `run_worker` processes sharing the flood limiter.
  Target: >= 90 % of the allowed rate, zero 429s.
- Update -> handler latency in polling and webhook mode, with a trivial registered handler (the bridge's own
  cost: receive, store, apply in a transaction, dispatch).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, transaction
from django.test import override_settings

from bots import client as bot_client
from bots import handlers, limiter
from bots.handlers import Context, command
from bots.models import OutboundMessage
from bots.outbound import telegram_send
from bots.polling import Poller
from helpdesk.core.models import WorkerHeartbeat
from tests.fake_telegram import FakeTelegram
from tests.services import free_port, manage, subprocess_env

_seen: dict[str, float] = {}
_seen_event = threading.Condition()


@command("benchping", help="bench", hidden=True)
def benchping(ctx: Context) -> None:
    with _seen_event:
        _seen[ctx.arg_text] = time.perf_counter()
        _seen_event.notify_all()


def _wait_seen(key: str, timeout: float = 15.0) -> float:
    deadline = time.monotonic() + timeout
    with _seen_event:
        while key not in _seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"handler never saw {key}")
            _seen_event.wait(remaining)
        return _seen.pop(key)


def _outbound(ctx: Any, fake: FakeTelegram) -> dict[str, Any]:
    groups = [fake.create_group(f"ForSID {n:03d}") for n in range(100)]
    per_group = 2 if ctx.quick else 10
    fake.set_limits()  # Telegram's: 1/s per chat, 20/min per group, 30/s overall
    workers = []
    env = subprocess_env(
        DJANGO_SETTINGS_MODULE="tests.bots.subprocess_settings",
        HELPDESK_TEST_TELEGRAM_TOKEN=fake.token,
        HELPDESK_TEST_TELEGRAM_BASE_URL=fake.base_url,
        TASKS_POLL_SECONDS="0.05",
    )
    for _ in range(2):
        workers.append(manage("run_worker", env=env))
    try:
        deadline = time.monotonic() + 60
        while WorkerHeartbeat.objects.count() < 2:
            if time.monotonic() > deadline:
                raise TimeoutError("workers did not start")
            time.sleep(0.1)
        fake.reset_log()
        with transaction.atomic():
            for n in range(per_group):
                for g in groups:
                    telegram_send(chat_id=g, text=f"Tiket baru #{n} untuk grup {g}", purpose_key=f"bench:{g}:{n}")
        total = per_group * len(groups)
        deadline = time.monotonic() + total / 20 + 60
        while OutboundMessage.objects.filter(state=OutboundMessage.State.QUEUED).exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the sender did not finish")
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    sends = sorted(r["at"] for r in fake.requests("sendMessage", 200))
    limited = fake.count("sendMessage", 429)
    elapsed = sends[-1] - sends[0]
    achieved = (len(sends) - 1) / elapsed if elapsed > 0 else 0.0
    allowed = min(30.0, len(groups) * 20 / 60)
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(sends)]
    return {
        "name": "telegram.outbound_100_groups",
        "samples_ms": gaps,
        "target": ">= 90% of the allowed rate, zero 429s",
        "extra": {
            "messages": len(sends),
            "groups": len(groups),
            "workers": 2,
            "seconds": round(elapsed, 2),
            "achieved_msg_per_s": round(achieved, 2),
            "allowed_msg_per_s": round(allowed, 2),
            "ratio_of_allowed": round(achieved / allowed, 3),
            "responses_429": limited,
            "limit_hits": [{"bucket": h["bucket"], "gaps_ms": [round((h["at"] - t) * 1000, 1) for t in h["recent"]]}
                           for h in fake.world.limit_hits[:5]],
            "ok": achieved / allowed >= 0.9 and limited == 0,
            "largest_gaps_ms": sorted(round(g) for g in gaps)[-12:],
            "stalls_over_100ms": sum(1 for g in gaps if g > 100),
        },
    }


def _latency_polling(ctx: Any, fake: FakeTelegram, chat: int, user: int, n: int) -> list[float]:
    poller = Poller(poll_timeout=10, wait_seconds=0.1)
    thread = threading.Thread(target=lambda: (poller.run(), connection.close()), daemon=True)
    thread.start()
    try:
        samples = []
        for i in range(n):
            key = f"poll-{i}"
            started = time.perf_counter()
            fake.user_sends(chat, user, f"/benchping {key}")
            samples.append((_wait_seen(key) - started) * 1000)
        return samples
    finally:
        poller.stop_event.set()
        thread.join(timeout=20)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _latency_webhook(ctx: Any, fake: FakeTelegram, chat: int, user: int, n: int) -> list[float]:
    port = free_port()
    server = make_server("127.0.0.1", port, WSGIHandler(), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        bot_client.get_client().run(
            lambda bot: bot.set_webhook(f"http://127.0.0.1:{port}/telegram/webhook/", secret_token="bench-secret")
        )
        samples = []
        for i in range(n):
            key = f"hook-{i}"
            started = time.perf_counter()
            fake.user_sends(chat, user, f"/benchping {key}")
            samples.append((_wait_seen(key) - started) * 1000)
        bot_client.get_client().run(lambda bot: bot.delete_webhook())
        return samples
    finally:
        server.shutdown()
        server.server_close()


def bench_telegram(ctx: Any) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    with FakeTelegram() as fake, override_settings(
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_WEBHOOK_SECRET="bench-secret",
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ):
        bot_client.reset_clients()
        handlers._username.clear()
        limiter._limiter = None
        try:
            result = _outbound(ctx, fake)
            ctx.log("   " + json.dumps(result["extra"]))
            results.append(result)
            fake.set_limits(enabled=False)
            user = fake.create_user("Relawan")
            chat = fake.create_private_chat(user["id"])
            n = 20 if ctx.quick else 100
            for mode, fn in (("polling", _latency_polling), ("webhook", _latency_webhook)):
                samples = fn(ctx, fake, chat, user["id"], n)
                results.append({"name": f"telegram.update_to_handler_{mode}", "samples_ms": samples,
                                 "extra": {"mode": mode, "handler": "trivial /benchping"}})
        finally:
            bot_client.reset_clients()
    return results
