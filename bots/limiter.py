"""Telegram's flood limits, shared by every worker process: sliding windows in the database or in Redis.

`reserve(chat_id)` books the earliest moment at which one more message to that chat keeps within all of
its windows (overall, the chat, and the group for group chats) and returns how long to wait for it. A wait
longer than `inline_max` is not booked: the caller re-schedules its job for then, so that one busy chat
never holds up the others. Each window is a short log of send times, widened by the margin in
`config.limits()`, so it allows bursts up to the limit, like Telegram, and never more.

A booking is tentative until `confirm()` records when its request really left. Until then, a booking
whose time has passed counts as leaving *now*: the request may still be on its way out (a slow commit, a
busy machine), and the next booking must not be squeezed against it. An even pace under the overall limit
spreads sends out so that workers don't burst and then stall.
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

PACE = "overall-pace"
PACE_BURST = 4
TENTATIVE_MAX = 45.0  # longer than any request may take (client timeouts): a booking never confirmed (its
# worker died) stops counting as "leaving now" after this


@dataclass(frozen=True)
class Bucket:
    name: str
    count: int
    window: float
    pace: bool = False  # bookings count as sent when made: the pace only spreads sends out


def buckets_for(chat_id: int, limits: config.Limits | None = None) -> list[Bucket]:
    limits = limits or config.limits()
    widen = 1.0 + limits.margin
    count, window = limits.overall
    result = [
        Bucket("overall", count, window * widen),
        Bucket(f"chat:{chat_id}", limits.per_chat[0], limits.per_chat[1] * widen),
        # A small burst allowance lets the pace catch up after a pause (a busy machine, a slow commit);
        # the overall window above still bounds every second.
        Bucket(PACE, PACE_BURST, PACE_BURST * window * widen / count, pace=True),
    ]
    if chat_id < 0:  # groups, supergroups and channels have negative ids
        result.insert(2, Bucket(f"group:{chat_id}", limits.per_group[0], limits.per_group[1] * widen))
    return result


Stamp = list[float]  # [time, 1 if it is when the request left (or a pace booking), 0 if only booked]


def _effective(stamp: Stamp, now: float) -> float:
    at, done = stamp[0], stamp[1]
    if not done and now - TENTATIVE_MAX < at < now:
        return now
    return at


def earliest(stamps: list[Stamp], bucket: Bucket, now: float, at: float | None = None) -> float:
    """The earliest time >= `at` (default now) at which one more send keeps `bucket` within its window."""
    at = now if at is None else at
    times = sorted(_effective(s, now) for s in stamps)
    recent = [t for t in times if t > at - bucket.window]
    if len(recent) < bucket.count:
        return at
    return max(at, recent[-bucket.count] + bucket.window)


def _prune(stamps: list[Stamp], bucket: Bucket, now: float) -> list[Stamp]:
    keep = [s for s in stamps if _effective(s, now) > now - bucket.window or (not s[1] and s[0] > now - TENTATIVE_MAX)]
    return sorted(keep, key=lambda s: s[0])


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
        rows = {row.name: row for row in RateWindow.objects.select_for_update().filter(name__in=names)}
        if len(rows) < len(names):  # a chat's first message: create its rows, then lock them all
            RateWindow.objects.bulk_create([RateWindow(name=n) for n in names if n not in rows], ignore_conflicts=True)
            rows = {row.name: row for row in RateWindow.objects.select_for_update().filter(name__in=names)}
        return rows

    def reserve(self, chat_id: int, *, inline_max: float) -> tuple[bool, float, str]:
        buckets = buckets_for(chat_id)
        with transaction.atomic():
            rows = self._rows(b.name for b in buckets)
            now = self.clock()
            at = now
            # A later time for one bucket can matter to another; settle on a time all of them accept.
            for _ in range(4):
                settled = max(earliest(rows[b.name].stamps, b, now, at) for b in buckets)
                if settled == at:
                    break
                at = settled
            wait = at - now
            if wait > inline_max:
                return False, wait, ""
            for b in buckets:
                row = rows[b.name]
                row.stamps = [*_prune(row.stamps, b, now), [at, 1 if b.pace else 0]]
                row.save(update_fields=["stamps"])
            return True, wait, repr(at)

    def confirm(self, chat_id: int, token: str, sent_at: float) -> None:
        """Record when the booked request actually left."""
        if not token:
            return
        booked = float(token)
        names = [b.name for b in buckets_for(chat_id) if not b.pace]
        with transaction.atomic():
            for row in RateWindow.objects.select_for_update().filter(name__in=names):
                stamps = [list(s) for s in row.stamps]
                for stamp in stamps:
                    if stamp[0] == booked and not stamp[1]:
                        stamp[0], stamp[1] = max(booked, sent_at), 1
                        break
                else:
                    continue
                row.stamps = sorted(stamps, key=lambda s: s[0])
                row.save(update_fields=["stamps"])

    def block(self, chat_id: int, seconds: float) -> None:
        """Telegram said retry_after for this chat: fill its window until then."""
        bucket = buckets_for(chat_id)[1]
        with transaction.atomic():
            row = self._rows([bucket.name])[bucket.name]
            until = self.clock() + seconds - bucket.window
            row.stamps = [[until, 1]] * bucket.count
            row.save(update_fields=["stamps"])


_CONFIRM_LUA = """
local sent_at = tonumber(ARGV[2])
for i = 1, #KEYS do
  local score = redis.call('ZSCORE', KEYS[i], 'b' .. ARGV[1])
  if score then
    redis.call('ZREM', KEYS[i], 'b' .. ARGV[1])
    redis.call('ZADD', KEYS[i], math.max(tonumber(score), sent_at), 'd' .. ARGV[1])
  end
end
return 1
"""

_RESERVE_LUA = """
local now_s, now_us = unpack(redis.call('TIME'))
local now = tonumber(now_s) + tonumber(now_us) / 1000000
local inline_max = tonumber(ARGV[1])
local tentative_max = tonumber(ARGV[2])
local n = #KEYS - 1
local seq = redis.call('INCR', KEYS[#KEYS])
local lists = {}
for i = 1, n do
  local window = tonumber(ARGV[2 + 3 * i - 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window - tentative_max)
  local raw = redis.call('ZRANGE', KEYS[i], 0, -1, 'WITHSCORES')
  local times = {}
  for j = 1, #raw, 2 do
    local t = tonumber(raw[j + 1])
    if string.sub(raw[j], 1, 1) == 'b' and t < now and t > now - tentative_max then t = now end
    table.insert(times, t)
  end
  table.sort(times)
  lists[i] = times
end
local at = now
for round = 1, 4 do
  local moved = false
  for i = 1, n do
    local count = tonumber(ARGV[2 + 3 * i - 2])
    local window = tonumber(ARGV[2 + 3 * i - 1])
    local recent = {}
    for _, t in ipairs(lists[i]) do if t > at - window then table.insert(recent, t) end end
    if #recent >= count then
      local candidate = recent[#recent - count + 1] + window
      if candidate > at then at = candidate; moved = true end
    end
  end
  if not moved then break end
end
local wait = at - now
if wait > inline_max then return {0, tostring(wait), '', tostring(now)} end
for i = 1, n do
  local window = tonumber(ARGV[2 + 3 * i - 1])
  local pace = tonumber(ARGV[2 + 3 * i])
  local prefix = 'b'
  if pace == 1 then prefix = 'd' end
  redis.call('ZADD', KEYS[i], at, prefix .. seq)
  redis.call('EXPIRE', KEYS[i], math.ceil(window + tentative_max) + 60)
end
return {1, tostring(wait), tostring(seq), tostring(now)}
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
        args: list[float] = [inline_max, TENTATIVE_MAX]
        for b in buckets:
            args += [b.count, b.window, 1 if b.pace else 0]
        keys = [self.prefix + b.name for b in buckets] + [self.prefix + "seq"]
        asked = time.time()
        booked, wait, token, now = self.script(keys=keys, args=args)
        self.skew = float(now) - (asked + time.time()) / 2
        return bool(int(booked)), float(wait), token.decode() if isinstance(token, bytes) else str(token)

    def confirm(self, chat_id: int, token: str, sent_at: float) -> None:
        # sent_at is this host's clock, bookings are Redis's: shift by the offset measured at booking.
        if token:
            keys = [self.prefix + b.name for b in buckets_for(chat_id) if not b.pace]
            self.confirm_script(keys=keys, args=[token, sent_at + self.skew])

    def block(self, chat_id: int, seconds: float) -> None:
        bucket = buckets_for(chat_id)[1]
        key = self.prefix + bucket.name
        until = time.time() + self.skew + seconds - bucket.window
        pipe = self.client.pipeline()
        pipe.delete(key)
        pipe.zadd(key, {f"dblock:{i}": until for i in range(bucket.count)})
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
