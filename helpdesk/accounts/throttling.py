"""Throttling of sign-ins, shared by the web form and the API token endpoint (see the API contract).

At most 5 attempts per account and 50 per client address may be spent within 15 minutes. Each attempt first
*reserves* a slot in both counters, with one SQL statement per counter that adds one only while the counter
is under its limit (`INSERT ... ON CONFLICT DO UPDATE ... WHERE attempts < limit RETURNING`, atomic on SQLite
and PostgreSQL alike). Only an attempt holding both reservations gets its password checked, so twenty
parallel guesses for one account check at most five passwords. A wrong password keeps its reservations; a
correct one gives the address's slot back and clears the account's counter: successful sign-ins are not
counted. Unknown and existing usernames are counted alike, so the answers tell nothing about which accounts
exist. A successful password reset clears the account's counter too (docs/accounts.md, "Signing in").

Counters live in the `SignInCounter` table, so every process sees the same numbers. Each is a fixed window
that opens at its first attempt.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.http import HttpRequest

from .models import SignInCounter

FAILURES_PER_ACCOUNT = 5
FAILURES_PER_IP = 50
WINDOW_SECONDS = 15 * 60


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
    return f"account:{digest}"


def _ip_key(ip: str) -> str:
    return f"ip:{ip}"[:80]


# One statement, so that parallel attempts cannot both see "under the limit". Valid on SQLite and PostgreSQL.
_RESERVE_SQL = """
INSERT INTO "accounts_signincounter" ("key", "attempts", "reset_at") VALUES (%s, 1, %s)
ON CONFLICT ("key") DO UPDATE SET
    "attempts" = CASE WHEN "accounts_signincounter"."reset_at" <= %s THEN 1
                      ELSE "accounts_signincounter"."attempts" + 1 END,
    "reset_at" = CASE WHEN "accounts_signincounter"."reset_at" <= %s THEN %s
                      ELSE "accounts_signincounter"."reset_at" END
WHERE "accounts_signincounter"."reset_at" <= %s OR "accounts_signincounter"."attempts" < %s
RETURNING "attempts"
"""


def _reserve(key: str, limit: int, now: float) -> int | None:
    """Take one attempt from this counter; None when it is used up."""
    reset_at = now + WINDOW_SECONDS
    with connection.cursor() as cursor:
        cursor.execute(_RESERVE_SQL, [key, reset_at, now, now, reset_at, now, limit])
        row = cursor.fetchone()
    return int(row[0]) if row else None


def _release(key: str) -> None:
    SignInCounter.objects.filter(key=key, attempts__gt=0).update(attempts=F("attempts") - 1)


def _wait(key: str, now: float) -> int:
    reset_at = SignInCounter.objects.filter(key=key).values_list("reset_at", flat=True).first()
    return max(1, math.ceil((reset_at or now) - now))


def reserve(username: str, ip: str) -> int | None:
    """Reserve an attempt for this account from this address. None: go ahead; else seconds to wait."""
    now = time.time()
    account, address = _account_key(username), _ip_key(ip)
    if _reserve(account, FAILURES_PER_ACCOUNT, now) is None:
        return _wait(account, now)
    if _reserve(address, FAILURES_PER_IP, now) is None:
        _release(account)
        return _wait(address, now)
    return None


def record_success(username: str, ip: str) -> None:
    """A correct password: not counted. The address gets its slot back; the account starts afresh."""
    _release(_ip_key(ip))
    clear_account(username)


def clear_account(username: str) -> None:
    SignInCounter.objects.filter(key=_account_key(username)).delete()
