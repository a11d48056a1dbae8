"""Telegram's flood limits, shared by every worker process: sliding windows in the database or in Redis.

`reserve(chat_id)` books the earliest moment at which one more message to that chat keeps within all of
its windows (overall, the chat, and the group for group chats) and returns how long to wait for it. A wait
longer than `inline_max` is not booked: the caller re-schedules its job for then, so that one busy chat
never holds up the others. Each window is a short log of send times, widened by the margin in
`config.limits()`, so it allows bursts up to the limit, like Telegram, and never more.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import transaction

from . import config
from .models import RateWindow


@dataclass(frozen=True)
class Bucket:
    name: str
    count: int
    window: float


def buckets_for(chat_id: int, limits: config.Limits | None = None) -> list[Bucket]:
    limits = limits or config.limits()
    widen = 1.0 + limits.margin
    count, window = limits.overall
    result = [
        Bucket("overall", count, window * widen),
        Bucket(f"chat:{chat_id}", limits.per_chat[0], limits.per_chat[1] * widen),
        # An even pace under the overall limit: a burst of 30 followed by a second of silence would make
        # every worker re-schedule its jobs and lose the slots while it polls for them again.
        Bucket("overall-pace", 1, window * widen / count),
    ]
    if chat_id < 0:  # groups, supergroups and channels have negative ids
        result.insert(2, Bucket(f"group:{chat_id}", limits.per_group[0], limits.per_group[1] * widen))
    return result


def earliest(stamps: list[float], bucket: Bucket, now: float) -> float:
    """The earliest time >= now at which one more send keeps `bucket` within its window."""
    recent = sorted(s for s in stamps if s > now - bucket.window)
    if len(recent) < bucket.count:
        # Future bookings (made by others who are waiting) still count against the window.
        return now
    return max(now, recent[-bucket.count] + bucket.window)


class Limiter(Protocol):
    def reserve(self, chat_id: int, *, inline_max: float) -> tuple[bool, float, str]: ...

    def confirm(self, chat_id: int, token: str, sent_at: float) -> None: ...

    def block(self, chat_id: int, seconds: float) -> None: ...


class DatabaseLimiter:
    """Windows as rows of RateWindow, updated under a row lock (SQLite: the write lock of the transaction)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock

    def _rows(self, names: Iterable[str]) -> dict[str, RateWindow]:
        names = list(names)
        RateWindow.objects.bulk_create([RateWindow(name=n) for n in names], ignore_conflicts=True)
        return {row.name: row for row in RateWindow.objects.select_for_update().filter(name__in=names)}

    def reserve(self, chat_id: int, *, inline_max: float) -> tuple[bool, float, str]:
        buckets = buckets_for(chat_id)
        with transaction.atomic():
            rows = self._rows(b.name for b in buckets)
            now = self.clock()
            at = max(earliest(rows[b.name].stamps, b, now) for b in buckets)
            # A booking moves `at` for the other buckets too; settle on a time all of them accept.
            for _ in range(3):
                settled = max(earliest(rows[b.name].stamps, b, at) for b in buckets)
                if settled == at:
                    break
                at = settled
            wait = at - now
            if wait > inline_max:
                return False, wait, ""
            for b in buckets:
                row = rows[b.name]
                kept = sorted(s for s in row.stamps if s > now - b.window)
                row.stamps = [*kept, at][-max(b.count, 1) :]
                row.save(update_fields=["stamps"])
            return True, wait, repr(at)

    def confirm(self, chat_id: int, token: str, sent_at: float) -> None:
        """Move a booking to the moment its request actually left (after the database work and any wait
        between booking and sending), so that delays on our side cannot squeeze two sends together."""
        if not token or sent_at <= float(token):
            return
        booked = float(token)
        buckets = buckets_for(chat_id)
        with transaction.atomic():
            for row in RateWindow.objects.select_for_update().filter(name__in=[b.name for b in buckets]):
                if booked in row.stamps:
                    stamps = list(row.stamps)
                    stamps[stamps.index(booked)] = sent_at
                    row.stamps = sorted(stamps)
                    row.save(update_fields=["stamps"])

    def block(self, chat_id: int, seconds: float) -> None:
        """Telegram said retry_after for this chat: fill its window until then."""
        bucket = buckets_for(chat_id)[1]
        with transaction.atomic():
            row = self._rows([bucket.name])[bucket.name]
            until = self.clock() + seconds - bucket.window
            row.stamps = [until] * bucket.count
            row.save(update_fields=["stamps"])


_CONFIRM_LUA = """
local sent_at = tonumber(ARGV[2])
for i = 1, #KEYS do
  local score = redis.call('ZSCORE', KEYS[i], ARGV[1])
  if score and tonumber(score) < sent_at then redis.call('ZADD', KEYS[i], sent_at, ARGV[1]) end
end
return 1
"""

_RESERVE_LUA = """
local now_s, now_us = unpack(redis.call('TIME'))
local now = tonumber(now_s) + tonumber(now_us) / 1000000
local inline_max = tonumber(ARGV[1])
local n = #KEYS - 1
local seq = redis.call('INCR', KEYS[#KEYS])
local at = now
for round = 1, 3 do
  local moved = false
  for i = 1, n do
    local count = tonumber(ARGV[1 + 2 * i - 1])
    local window = tonumber(ARGV[1 + 2 * i])
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
    local size = redis.call('ZCARD', KEYS[i])
    if size >= count then
      local nth = redis.call('ZRANGE', KEYS[i], size - count, size - count, 'WITHSCORES')
      local candidate = tonumber(nth[2]) + window
      if candidate > at then at = candidate; moved = true end
    end
  end
  if not moved then break end
end
local wait = at - now
if wait > inline_max then return {0, tostring(wait), '', tostring(now)} end
for i = 1, n do
  local window = tonumber(ARGV[1 + 2 * i])
  redis.call('ZADD', KEYS[i], at, 'b' .. seq)
  redis.call('EXPIRE', KEYS[i], math.ceil(window) + 60)
end
return {1, tostring(wait), 'b' .. seq, tostring(now)}
"""


class RedisLimiter:
    """The same windows as sorted sets in Redis, booked atomically by a Lua script with Redis's clock."""

    def __init__(self, url: str, prefix: str = "helpdesk:tg:rate:") -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self.prefix = prefix
        self.script = self.client.register_script(_RESERVE_LUA)
        self.confirm_script = self.client.register_script(_CONFIRM_LUA)
        self.skew = 0.0  # Redis's clock minus ours

    def reserve(self, chat_id: int, *, inline_max: float) -> tuple[bool, float, str]:
        buckets = buckets_for(chat_id)
        args: list[float] = [inline_max]
        for b in buckets:
            args += [b.count, b.window]
        keys = [self.prefix + b.name for b in buckets] + [self.prefix + "seq"]
        asked = time.time()
        booked, wait, token, now = self.script(keys=keys, args=args)
        self.skew = float(now) - (asked + time.time()) / 2
        return bool(int(booked)), float(wait), token.decode() if isinstance(token, bytes) else str(token)

    def confirm(self, chat_id: int, token: str, sent_at: float) -> None:
        # sent_at is this host's clock, bookings are Redis's: shift by the offset measured at booking.
        if token:
            self.confirm_script(keys=[self.prefix + b.name for b in buckets_for(chat_id)],
                                args=[token, sent_at + self.skew])

    def block(self, chat_id: int, seconds: float) -> None:
        bucket = buckets_for(chat_id)[1]
        key = self.prefix + bucket.name
        until = time.time() + seconds - bucket.window
        pipe = self.client.pipeline()
        pipe.delete(key)
        pipe.zadd(key, {f"block:{i}": until for i in range(bucket.count)})
        pipe.expire(key, int(seconds + bucket.window) + 60)
        pipe.execute()


_limiter: tuple[str, Limiter] | None = None


def get_limiter() -> Limiter:
    """Redis when REDIS_URL is set (one round trip per booking), else the database."""
    global _limiter
    url = str(getattr(settings, "REDIS_URL", "") or "")
    if _limiter is None or _limiter[0] != url:
        _limiter = (url, RedisLimiter(url) if url else DatabaseLimiter())
    return _limiter[1]
