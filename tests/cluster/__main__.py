"""`make cluster-test`: SID Helpdesk as a fleet on loopback, with processes killed under load (issue 18).

    python -m tests.cluster [--tickets 40] [--concurrency 8] [--search-nodes 2] [--keep]

Starts, in a temp dir on free ports: a fresh database in the PostgreSQL of deploy/services/postgres.sh, a Redis, a
two-node OpenSearch cluster (one replica), the fake Telegram Bot API, two daphne web processes behind Debian's nginx
(deploy/nginx/helpdesk.conf rendered for plain HTTP on 127.0.0.1), two workers and the Telegram bridge. Drives
`--tickets` tickets through their life (filed by operators through the API, claimed and answered by volunteers
through the API and the Telegram group, answered by operators, solved), with websocket clients on every ticket and
the forum queue through nginx and searches throughout; kills (SIGKILL) one web process, one worker and one search
node in the middle and restarts them. Checks that nothing was lost or doubled, prints one line of counts, and exits
non-zero on any failure. Every process it started is stopped on exit, also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sys
import time
from collections import Counter
from typing import Any

import httpx

from .drive import Driver, Options
from .stack import Stack, log


def django_setup(stack: Stack) -> None:
    os.environ.update(stack.app_env())
    import django

    django.setup()


def drain_outbox(timeout: float) -> tuple[int, int, int]:
    """Wait until no job created before now is pending or running. Returns (total, not done, retried)."""
    from django.db import close_old_connections
    from django.utils import timezone

    from helpdesk.core.models import OutboxJob

    cutoff = timezone.now()
    deadline = time.monotonic() + timeout
    while True:
        close_old_connections()
        open_jobs = OutboxJob.objects.filter(created_at__lte=cutoff).exclude(status=OutboxJob.Status.DONE)
        if not open_jobs.exclude(status=OutboxJob.Status.PARKED).exists() or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    total = OutboxJob.objects.filter(created_at__lte=cutoff).count()
    lost = open_jobs.count()
    retried = OutboxJob.objects.filter(created_at__lte=cutoff, attempts__gt=1).count()
    return total, lost, retried


def check(stack: Stack, driver: Driver, options: Options) -> tuple[str, list[str]]:
    from bots.models import OutboundMessage, TelegramUpdate
    from helpdesk.core.models import OutboxJob
    from helpdesk.tickets.models import Message, Ticket

    tally = driver.tally
    failures = list(tally.errors)
    failures += tally.tickets_failed[:10]
    n = options.tickets

    # Jobs: every job done, none parked.
    jobs, lost, retried = drain_outbox(120)
    if lost:
        stuck = list(OutboxJob.objects.exclude(status=OutboxJob.Status.DONE).values_list("kind", "status", "last_error")[:5])
        failures.append(f"{lost} outbox jobs not done: {stuck}")

    # Messages: each reply exactly once in the database.
    ids = [t["id"] for t in driver.tickets.values()]
    bodies = Counter()
    for body in Message.objects.filter(ticket_id__in=ids).values_list("body", flat=True):
        for marker in re.findall(r"\[c\d+-m\d\]", body):
            bodies[marker] += 1
    expected = [f"[c{i}-m{m}]" for i in range(n) for m in (1, 2, 3, 4)]
    messages_ok = sum(1 for marker in expected if bodies[marker] == 1)
    doubled = sum(count - 1 for count in bodies.values() if count > 1)
    if messages_ok != len(expected):
        failures.append(f"messages: {len(expected) - messages_ok} not stored exactly once")
    solved = Ticket.objects.filter(pk__in=ids, status="selesai").count()
    if solved != n:
        failures.append(f"tickets solved: {solved}/{n}")

    # Telegram: every web reply relayed to the group exactly once; the volunteer's own reply not echoed.
    tg_doubled = 0
    if stack.telegram:
        relayed = [f"[c{i}-m{m}]" for i in range(n) for m in (1, 2, 4)]
        deadline = time.monotonic() + 60
        while True:
            texts = Counter()
            for text in stack.fake.bot_texts(chat_id=stack.group):
                for marker in re.findall(r"\[c\d+-m\d\]", text):
                    texts[marker] += 1
            missing = [m for m in relayed if texts[m] == 0]
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(1)
        tg_doubled = sum(count - 1 for count in texts.values() if count > 1)
        echoed = sum(texts[f"[c{i}-m3]"] for i in range(n))
        # The bridge's documented bound (docs/telegram.md): a worker killed between marking a part "sending" and
        # the request leaving may lose that part; it is flagged `uncertain` for a person to resend, never resent
        # by itself. Such a part is reported in the counts, not failed; any other missing one is a failure.
        flagged = set()
        for text in OutboundMessage.objects.filter(state=OutboundMessage.State.UNCERTAIN).values_list("text", flat=True):
            flagged.update(re.findall(r"\[c\d+-m\d\]", text))
        lost_tg = [m for m in missing if m not in flagged]
        if lost_tg or tg_doubled:
            failures.append(f"telegram: {len(lost_tg)} relayed replies missing (e.g. {lost_tg[:3]}), "
                            f"{tg_doubled} doubled")
        if echoed:
            failures.append(f"telegram: {echoed} group replies echoed back to the group")
    sent = OutboundMessage.objects.filter(state=OutboundMessage.State.SENT).count()
    uncertain = OutboundMessage.objects.filter(state=OutboundMessage.State.UNCERTAIN).count()
    held = TelegramUpdate.objects.filter(state=TelegramUpdate.State.HELD).count()
    failed_updates = TelegramUpdate.objects.filter(state=TelegramUpdate.State.FAILED).count()
    unapplied = TelegramUpdate.objects.filter(state=TelegramUpdate.State.RECEIVED).count()
    if held or failed_updates or unapplied:
        failures.append(f"telegram updates: {held} held, {failed_updates} failed, {unapplied} not applied")
    failed_out = OutboundMessage.objects.filter(state=OutboundMessage.State.FAILED).count()
    if failed_out:
        failures.append(f"telegram: {failed_out} outbound messages failed")

    # Websockets: every stream seen up to its head, in order, once.
    events = sum(c.events for c in driver.ws)
    gaps = sum(c.gaps for c in driver.ws)
    ws_doubled = sum(c.duplicates for c in driver.ws)
    reloads = sum(len(c.reloads) for c in driver.ws)
    ws_errors = [e for c in driver.ws for e in c.errors]
    if gaps or ws_doubled or reloads or ws_errors:
        failures.append(f"websockets: gaps {gaps}, duplicates {ws_doubled}, reloads {reloads}, errors {ws_errors[:3]}")
    streams = sum(len(c.last) for c in driver.ws)
    if streams < n + len(driver.ws):
        failures.append(f"websockets: only {streams} streams followed")

    # Search: back to green with every node, and each replica holding what its primary holds.
    search = f"search {tally.searches_ok} ok"
    if stack.node_count:
        base = f"http://127.0.0.1:{stack.search_http[0]}"
        httpx.post(f"{base}/{stack.prefix}*/_refresh", timeout=30)
        shards: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for row in httpx.get(f"{base}/_cat/shards/{stack.prefix}*?format=json", timeout=30).json():
            shards.setdefault((row["index"], row["shard"]), []).append((row["prirep"], row["docs"] or "0"))
        uneven = {k: v for k, v in shards.items() if len({docs for _, docs in v}) != 1 or len(v) != stack.node_count}
        health = stack.search_health()
        if health["status"] != "green" or health["number_of_nodes"] != stack.node_count:
            failures.append(f"search cluster {health['status']} with {health['number_of_nodes']} nodes")
        if uneven:
            failures.append(f"search: replicas differ from primaries: {uneven}")
        search += f" (engine {tally.direct_searches_ok} ok, {tally.direct_searches_failed} failed; " \
                  f"{len(shards)} shards x {stack.node_count} copies in sync)"
        if tally.direct_searches_failed:
            failures.append(f"search: the engine failed {tally.direct_searches_failed} searches")
    if tally.searches_failed:
        failures.append(f"search: {tally.searches_failed} searches through nginx failed")

    if tally.server_errors and not os.environ.get("CLUSTER_ALLOW_5XX"):
        failures.append(f"{len(tally.server_errors)} server errors (500), e.g. {tally.server_errors[:3]}; "
                        "their cause is in the web logs (CLUSTER_ALLOW_5XX=1 tolerates them)")
    twice = doubled + tg_doubled + ws_doubled
    recovery = " ".join(f"{k} {v:.1f}s" for k, v in tally.recovery.items()) or "none"
    line = (f"cluster-test: tickets {tally.tickets_done}/{n}, messages {messages_ok}/{len(expected)}, "
            f"events {events} (gaps {gaps}), jobs {jobs} (lost {lost}, twice {twice}, retried {retried}), "
            f"telegram sent {sent} held {held} uncertain {uncertain}, {search}, "
            f"websocket reconnects {tally.ws_reconnects} (max {tally.ws_reconnect_max:.1f}s), "
            f"http retries {tally.http_retries}, server errors {len(tally.server_errors)}, recovery {recovery}")
    expected_kills = {"web", "worker"} | ({"search-node"} if stack.node_count > 1 else set())
    if set(tally.recovery) != expected_kills:
        failures.append(f"recovery measured for {sorted(tally.recovery)}, expected {sorted(expected_kills)}")
    return line, failures


def main() -> int:
    parser = argparse.ArgumentParser(prog="make cluster-test")
    parser.add_argument("--tickets", type=int, default=int(os.environ.get("CLUSTER_TICKETS", 40)))
    parser.add_argument("--concurrency", type=int, default=int(os.environ.get("CLUSTER_CONCURRENCY", 8)))
    parser.add_argument("--operators", type=int, default=8)
    parser.add_argument("--volunteers", type=int, default=4)
    parser.add_argument("--ws-clients", type=int, default=4)
    parser.add_argument("--search-nodes", type=int, default=int(os.environ.get("CLUSTER_SEARCH_NODES", 2)),
                        choices=[0, 1, 2])
    parser.add_argument("--search-heap", default=os.environ.get("CLUSTER_SEARCH_HEAP", "512m"))
    parser.add_argument("--search-outage", type=float, default=8.0, help="seconds the killed search node stays down")
    parser.add_argument("--time-limit", type=float, default=float(os.environ.get("CLUSTER_TIME_LIMIT", 900)),
                        help="seconds for the whole run (set-up included)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs) after the run")
    args = parser.parse_args()
    options = Options(tickets=args.tickets, concurrency=args.concurrency, operators=args.operators,
                      volunteers=args.volunteers, ws_clients=args.ws_clients, search_outage=args.search_outage)

    def on_signal(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("cluster-test time limit")))
    signal.alarm(int(args.time_limit))

    started = time.monotonic()
    stack = Stack(search_nodes=args.search_nodes, heap=args.search_heap, keep=args.keep)
    status = 1
    try:
        log(f"temp dir {stack.tmp}; nginx on 127.0.0.1:{stack.nginx_port}, web {stack.web_ports}, "
            f"search {stack.search_http}")
        stack.create_database()
        stack.start_redis()
        stack.start_search()
        stack.start_fake()
        stack.prepare_telegram(args.volunteers)
        stack.prepare_app(operators=args.operators, volunteers=args.volunteers, kb_entries=25)
        if stack.node_count > 1:
            from .procs import wait_for

            wait_for(stack.search_green, 120, "the search cluster to be green", 1)
        stack.start_app()
        django_setup(stack)
        log(f"cluster up in {time.monotonic() - started:.0f}s; driving {args.tickets} tickets")
        driver = Driver(stack, options)
        asyncio.run(driver.run())
        line, failures = check(stack, driver, options)
        signal.alarm(0)
        for failure in failures:
            print(f"FAIL: {failure}", file=sys.stderr)
        if failures:
            print(stack.tails(), file=sys.stderr)
        print(line + ("" if not failures else f" -- FAILED ({len(failures)})"), flush=True)
        status = 1 if failures else 0
    except BaseException as exc:
        print(f"cluster-test: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(stack.tails(), file=sys.stderr)
        status = exc.code if isinstance(exc, SystemExit) and isinstance(exc.code, int) and exc.code else 1
    finally:
        signal.alarm(0)
        stack.shutdown()
        log(f"finished in {time.monotonic() - started:.0f}s")
    return status


if __name__ == "__main__":
    sys.exit(main())
