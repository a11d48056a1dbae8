"""Throttling of FAILED sign-ins, shared by the web form and the API token endpoint (see the API contract).

Counters live in the Django cache (the database cache by default), so every web process sees the same
numbers: at most 5 failures per account and 50 per client address within 15 minutes. While either limit is
reached, every attempt for that account or address is refused *before* the password is checked; otherwise
a correct guess would still get through and the limit would slow nobody down. Successful sign-ins are not
counted, and one clears the account's counter. Unknown and existing usernames are counted alike, so the
answers tell nothing about which accounts exist.

Each counter is a fixed window that opens at its first failure. Increments are read-modify-write on the
cache, so two failures at the very same instant may count once; the limits are a brake, not an exact count.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

FAILURES_PER_ACCOUNT = 5
FAILURES_PER_IP = 50
WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class Counter:
    failures: int
    reset_at: float

    def remaining_seconds(self, now: float) -> int:
        return max(1, math.ceil(self.reset_at - now))


def client_ip(request: HttpRequest) -> str:
    """The client's address; behind a trusted proxy (BEHIND_PROXY=1), the one the proxy saw."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _account_key(username: str) -> str:
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"signin-fail:account:{digest}"


def _ip_key(ip: str) -> str:
    return f"signin-fail:ip:{ip}"


def _read(value: object, now: float) -> Counter | None:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        counter = Counter(int(value[0]), float(value[1]))
        if counter.reset_at > now:
            return counter
    return None


def retry_after(username: str, ip: str) -> int | None:
    """Seconds until the next attempt is allowed, or None when sign-in may be tried now."""
    now = time.time()
    keys = {"account": _account_key(username), "ip": _ip_key(ip)}
    stored = cache.get_many(list(keys.values()))
    waits = []
    for kind, limit in (("account", FAILURES_PER_ACCOUNT), ("ip", FAILURES_PER_IP)):
        counter = _read(stored.get(keys[kind]), now)
        if counter is not None and counter.failures >= limit:
            waits.append(counter.remaining_seconds(now))
    return max(waits) if waits else None


def record_failure(username: str, ip: str) -> None:
    now = time.time()
    for key in (_account_key(username), _ip_key(ip)):
        counter = _read(cache.get(key), now) or Counter(0, now + WINDOW_SECONDS)
        cache.set(key, (counter.failures + 1, counter.reset_at), timeout=counter.remaining_seconds(now))


def record_success(username: str) -> None:
    cache.delete(_account_key(username))
