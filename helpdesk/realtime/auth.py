"""Who is on the other end of a websocket: the session cookie, or a single-use key from the API.

A key is 32 random bytes, valid REALTIME_KEY_TTL_SECONDS, stored only as its SHA-256. Spending it is one
compare-and-set UPDATE, so a key works once even when two connections race with it. The browser's Origin, when
it sends one, must be a host we serve (a page elsewhere can't ride on the visitor's session cookie).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import validate_host
from django.utils import timezone

from . import conf
from .models import ConnectionKey

Scope = dict[str, Any]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(user: Any) -> tuple[str, int]:
    """A new single-use key for `user` and its lifetime in seconds."""
    ttl = conf.get_int("REALTIME_KEY_TTL_SECONDS")
    key = secrets.token_urlsafe(32)
    ConnectionKey.objects.create(digest=_digest(key), user=user, expires_at=timezone.now() + timedelta(seconds=ttl))
    return key, ttl


def spend_key(key: str) -> Any | None:
    """The active user the key belongs to, if it is unused and unexpired; spends it either way."""
    if not key or len(key) > 200:
        return None
    now = timezone.now()
    digest = _digest(key)
    won = ConnectionKey.objects.filter(digest=digest, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if not won:
        return None
    found = ConnectionKey.objects.select_related("user").get(digest=digest)
    return found.user if found.user.is_active else None


class ConnectionKeyMiddleware:
    """`?ticket=<key>` authenticates the connection as the key's owner; a bad key leaves it anonymous and says
    why in scope["realtime_auth_error"]. Without a key, the session (AuthMiddlewareStack) decides."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        keys = query.get("ticket")
        if keys:
            user = await database_sync_to_async(spend_key)(keys[0])
            scope = dict(scope)
            scope["user"] = user or AnonymousUser()
            if user is None:
                scope["realtime_auth_error"] = "invalid_key"
        return await self.inner(scope, receive, send)


class OriginMiddleware:
    """Refuse a websocket opened by a page of another site. Clients that send no Origin (scripts, apps) can't
    carry someone else's cookie, so they pass; they authenticate with a key or their own session."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        # The server's own send callable, before middleware wraps it: limits.transport_backlog looks into it.
        scope = dict(scope, **{"realtime.server_send": send})
        origin = dict(scope.get("headers", [])).get(b"origin")
        if origin is not None and not self.allowed(origin.decode("latin-1")):
            message = await receive()  # websocket.connect; closing before accepting refuses the handshake (403)
            if message.get("type") == "websocket.connect":
                await send({"type": "websocket.close", "code": 4403})
            return None
        return await self.inner(scope, receive, send)

    @staticmethod
    def allowed(origin: str) -> bool:
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            return False
        hosts = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not hosts:
            hosts = [".localhost", "127.0.0.1", "[::1]"]
        trusted = {urlsplit(o).netloc for o in settings.CSRF_TRUSTED_ORIGINS}
        return validate_host(parts.hostname, hosts) or parts.netloc in trusted


def stack(inner: Any) -> Any:
    """Origin check, then the session, then a connection key if one is given."""
    return OriginMiddleware(AuthMiddlewareStack(ConnectionKeyMiddleware(inner)))
