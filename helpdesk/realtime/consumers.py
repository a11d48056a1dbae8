"""The one websocket endpoint, /ws/: subscriptions, replay, presence, limits. The protocol: docs/realtime.md.

Each connection keeps, per subscribed stream, the last sequence number it delivered. Events come from the
channel layer (Redis, or this process's log follower) in any order and possibly twice; the consumer drops what
it already delivered and reads a gap from the log before going on, so each client sees every stream in order,
once. Nothing here decides access: `streams` holds the owners' access functions, asked on subscribe, again
every REALTIME_RECHECK_SECONDS, and for every event with a restricted audience.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from autobahn.exception import Disconnected
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.utils import await_many_dispatch
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from . import conf, db, follower, hub, log, streams
from .limits import TokenBucket, transport_backlog
from .wire import WireEvent, frame

logger = logging.getLogger(__name__)

# Close codes: 4000-4999 are the application's own (RFC 6455, 7.4.2). A frame over the limit closes with 4009, the
# application's "message too big": daphne (Autobahn) lets an application close only with 1000 or 3000-4999 and
# turns the standard 1009 into 1011 and an error in the log (docs/realtime.md).
CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_TOO_SLOW = 4008  # the client fell behind: reconnect and resume with last_event_id
CLOSE_FLOOD = 4429
CLOSE_TOO_BIG = 4009

PRESENCE_STATES = ("viewing", "typing", "left")
# Messages the hub hands in; they need no database connection, so they skip the per-message connection check.
HUB_TYPES = {"realtime.event", "realtime.head", "realtime.presence", "realtime.presence_sync"}


@dataclass
class Subscription:
    stream: str
    kind: streams.StreamKind
    key: int
    facts: dict[str, Any]
    last_seq: int = 0
    checked_at: float = field(default_factory=time.monotonic)
    ephemeral: int = 0  # presence frames sent since `last_seq` (their ids are "<last_seq>.<n>")
    presence: str | None = None
    presence_sent: float = 0.0  # monotonic, for refresh timing
    presence_sent_at: float = 0.0  # wall clock, comparable with other processes' sync requests
    expiry: asyncio.TimerHandle | None = None


def _fresh_user(user_id: int) -> Any | None:
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


def _authorize(kind: streams.StreamKind, user_id: int, key: int) -> tuple[Any | None, dict[str, Any] | None]:
    user = _fresh_user(user_id)
    return user, (kind.authorize(user, key) if user is not None else None)


def _in_audience(kind: streams.StreamKind, audience: str, user_id: int, key: int) -> bool:
    # A fresh user object: role caches on the connection's user must not let a removed volunteer read on.
    user = _fresh_user(user_id)
    check = kind.audiences.get(audience)
    return bool(user is not None and check is not None and check(user, key))


class RealtimeConsumer(AsyncJsonWebsocketConsumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user: Any = None
        self.subs: dict[str, Subscription] = {}
        self.bucket = TokenBucket(conf.get("REALTIME_RATE_PER_SECOND"), conf.get("REALTIME_RATE_BURST"))
        self.dropped = 0
        self.told_rate = False
        self.closing = False
        self.conn_id = secrets.token_hex(8)
        self.tasks: set[asyncio.Future[None]] = set()
        self.hub: hub.Hub | None = None
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=conf.get_int("REALTIME_INBOX_SIZE"))
        self.behind: dict[str, int] = {}  # streams whose events overflowed the inbox -> the last number lost

    # --- plumbing: the hub instead of a channel per connection ---------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # Like channels' AsyncConsumer, but messages come from the client and from this process's hub only:
        # the hub is the one member of the channel layer's groups (see hub.py).
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            await await_many_dispatch([receive, self._next_from_hub], self.dispatch)
        except StopConsumer:
            pass
        finally:
            for sub in list(self.subs.values()):
                await self._drop(sub, say_left=False)

    def offer(self, message: dict[str, Any]) -> None:
        """Called by the hub. A full inbox drops the message; the stream's position is kept for catching up."""
        try:
            self.inbox.put_nowait(message)
        except asyncio.QueueFull:
            event = message.get("event")
            stream, seq = (event["stream"], event["seq"]) if event else (message.get("stream"), message.get("seq"))
            if isinstance(stream, str) and isinstance(seq, int):
                self.behind[stream] = max(self.behind.get(stream, 0), seq)

    async def _next_from_hub(self) -> dict[str, Any]:
        if self.inbox.empty() and self.behind:
            stream, seq = self.behind.popitem()
            return {"type": "realtime.head", "stream": stream, "seq": seq}
        return await self.inbox.get()

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") in HUB_TYPES:
            await getattr(self, message["type"].replace(".", "_"))(message)
        else:
            await super().dispatch(message)

    # --- connection ------------------------------------------------------------------------------------

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated or not user.is_active:
            code = self.scope.get("realtime_auth_error", "not_authenticated")
            detail = (
                _("Kunci sambungan tidak berlaku, kedaluwarsa atau sudah dipakai.")
                if code == "invalid_key"
                else _("Masuk terlebih dahulu.")
            )
            await self.send_json({"type": "error", "stream": None, "code": code, "detail": detail})
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            self.closing = True
            return
        self.user = user
        self.hub = await hub.get()
        follower.ensure_started()

    async def disconnect(self, code: int) -> None:
        self.closing = True
        for sub in list(self.subs.values()):
            await self._drop(sub)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing or self.user is None:
            return
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > conf.get_int("REALTIME_MAX_FRAME_BYTES"):
            await self._error(None, "frame_too_large", _("Bingkai terlalu besar."))
            await self._close(CLOSE_TOO_BIG)
            return
        if not self.bucket.take():
            self.dropped += 1
            if self.dropped > conf.get_int("REALTIME_RATE_DROPS_BEFORE_CLOSE"):
                await self._close(CLOSE_FLOOD)
            elif not self.told_rate:
                self.told_rate = True
                await self._error(None, "rate_limited", _("Terlalu banyak bingkai; sebagian diabaikan."))
            return
        self.told_rate = False
        try:
            content = json.loads(text_data) if text_data is not None else None
        except ValueError:
            content = None
        if not isinstance(content, dict) or not isinstance(content.get("action"), str):
            await self._error(None, "bad_frame", _("Bingkai harus objek JSON dengan kolom action."))
            return
        action = content["action"]
        if action == "subscribe":
            await self._subscribe(content)
        elif action == "unsubscribe":
            await self._unsubscribe(content)
        elif action == "presence":
            await self._presence(content)
        elif action == "ping":
            await self._emit({"type": "pong"})
        else:
            await self._error(content.get("stream"), "bad_action", _("Aksi tidak dikenal."))

    # --- subscribing -----------------------------------------------------------------------------------

    async def _subscribe(self, content: dict[str, Any]) -> None:
        stream = content.get("stream")
        parsed = streams.parse(stream)
        if parsed is None:
            await self._error(stream, "bad_stream", _("Nama aliran tidak sah (contoh: ticket:42)."))
            return
        assert isinstance(stream, str)
        kind = streams.kind_of(parsed[0])
        if kind is None:
            await self._error(stream, "unknown_stream", _("Jenis aliran tidak dikenal."))
            return
        after = self._position(content.get("last_event_id"))
        if after == -1:
            await self._error(stream, "bad_last_event_id", _("last_event_id tidak sah."))
            return
        if stream in self.subs:
            await self._emit({"type": "subscribed", "stream": stream, "last_event_id": str(self.subs[stream].last_seq)})
            return
        if len(self.subs) >= conf.get_int("REALTIME_MAX_SUBSCRIPTIONS"):
            await self._error(stream, "too_many_subscriptions", _("Terlalu banyak langganan pada satu sambungan."))
            return
        user, facts = await db.run(_authorize, kind, self.user.pk, parsed[1])
        if user is None:
            await self._close(CLOSE_NOT_AUTHENTICATED)
            return
        if facts is None:
            # One answer for "doesn't exist" and "not yours", so that a refusal reveals nothing.
            await self._error(stream, "forbidden", _("Aliran tidak ditemukan atau Anda tidak berhak melihatnya."))
            return
        self.user = user
        sub = Subscription(stream=stream, kind=kind, key=parsed[1], facts=facts)
        # Join first: what is published from now on waits in the inbox and is de-duplicated below.
        assert self.hub is not None
        self.subs[stream] = sub
        await self.hub.join(stream, self)
        if after is None:
            sub.last_seq = await db.run(log.head, stream)
            await self._emit({"type": "subscribed", "stream": stream, "last_event_id": str(sub.last_seq)})
        else:
            missed = await db.run(log.replay, stream, after)
            await self._emit({"type": "subscribed", "stream": stream, "last_event_id": str(after)})
            if missed.reload:
                sub.last_seq = missed.head
                await self._emit({"type": "reload", "stream": stream})
            else:
                sub.last_seq = after
                for event in missed.events:
                    await self._deliver(sub, event)
        if kind.presence:
            await self._broadcast(stream, {"type": "realtime.presence_sync", "stream": stream, "reply_to": self.conn_id,
                                           "at": time.time()})

    @staticmethod
    def _position(value: Any) -> int | None:
        """The sequence number in a last_event_id ("17", or "17.3" for a presence frame); None if absent, -1 if bad."""
        if value is None or value == "":
            return None
        text = str(value)
        head, _, tail = text.partition(".")
        if not head.isdigit() or len(head) > 18 or (tail and not tail.isdigit()):
            return -1
        return int(head)

    async def _unsubscribe(self, content: dict[str, Any]) -> None:
        stream = content.get("stream")
        sub = self.subs.get(stream) if isinstance(stream, str) else None
        if sub is not None:
            await self._drop(sub)
        await self._emit({"type": "unsubscribed", "stream": stream})

    async def _drop(self, sub: Subscription, *, say_left: bool = True) -> None:
        if self.subs.get(sub.stream) is sub:
            del self.subs[sub.stream]
        if sub.presence is not None and say_left:
            await self._broadcast_presence(sub, "left")
        sub.presence = None
        if sub.expiry is not None:
            sub.expiry.cancel()
        if self.hub is not None:
            await self.hub.leave(sub.stream, self)

    # --- events ----------------------------------------------------------------------------------------

    async def realtime_event(self, message: dict[str, Any]) -> None:
        event: WireEvent = message["event"]
        sub = self.subs.get(event["stream"])
        if sub is None or self.closing or event["seq"] <= sub.last_seq:
            return
        if event["seq"] > sub.last_seq + 1 and not await self._catch_up(sub, event["seq"] - 1):
            sub.last_seq = event["seq"]  # the client reloads, which includes this one
            return
        await self._deliver(sub, event, message.get("text"))

    async def realtime_head(self, message: dict[str, Any]) -> None:
        """A burst went out on this stream and ended at `seq`: read from the log whatever didn't reach us."""
        sub = self.subs.get(message["stream"])
        if sub is not None and not self.closing and message["seq"] > sub.last_seq:
            await self._catch_up(sub, message["seq"])

    async def _catch_up(self, sub: Subscription, upto: int) -> bool:
        """Deliver events after `sub.last_seq` up to `upto` from the log; False if the client must reload."""
        # A number is only visible once every smaller one on the stream has committed, so the log has them all
        # (unless they were purged, or there are too many: then the client reloads).
        wanted = upto - sub.last_seq
        if wanted <= conf.get_int("REALTIME_REPLAY_MAX"):
            gap = await db.run(log.missing, sub.stream, sub.last_seq, upto + 1)
            if len(gap) == wanted:
                for missed in gap:
                    await self._deliver(sub, missed)
                return True
        sub.last_seq = upto
        await self._emit({"type": "reload", "stream": sub.stream})
        return False

    async def _deliver(self, sub: Subscription, event: WireEvent, text: str | None = None) -> None:
        if event["seq"] <= sub.last_seq or self.subs.get(sub.stream) is not sub:
            return
        sub.last_seq = event["seq"]
        sub.ephemeral = 0
        if sub.kind.recheck_on is not None and sub.kind.recheck_on(event):
            sub.checked_at = 0.0
        if not await self._still_allowed(sub):
            return
        audience = event.get("audience") or ""
        if audience and not await db.run(_in_audience, sub.kind, audience, self.user.pk, sub.key):
            return
        await self._emit(frame(event), text=text)

    async def _still_allowed(self, sub: Subscription) -> bool:
        if time.monotonic() - sub.checked_at < conf.get("REALTIME_RECHECK_SECONDS"):
            return True
        user, facts = await db.run(_authorize, sub.kind, self.user.pk, sub.key)
        if user is None:
            await self._close(CLOSE_NOT_AUTHENTICATED)
            return False
        self.user = user
        if facts is None:
            await self._drop(sub)
            await self._error(sub.stream, "forbidden", _("Aliran tidak ditemukan atau Anda tidak berhak melihatnya."))
            return False
        sub.facts, sub.checked_at = facts, time.monotonic()
        return True

    # --- presence --------------------------------------------------------------------------------------

    async def _presence(self, content: dict[str, Any]) -> None:
        stream, state = content.get("stream"), content.get("state")
        sub = self.subs.get(stream) if isinstance(stream, str) else None
        if sub is None:
            await self._error(stream, "not_subscribed", _("Berlangganan aliran ini terlebih dahulu."))
            return
        if not sub.kind.presence:
            await self._error(stream, "presence_unsupported", _("Aliran ini tidak mendukung kehadiran."))
            return
        if state not in PRESENCE_STATES:
            await self._error(stream, "bad_frame", _("state harus viewing, typing atau left."))
            return
        if sub.expiry is not None:
            sub.expiry.cancel()
            sub.expiry = None
        if state == "left":
            if sub.presence is not None:
                sub.presence = None
                await self._broadcast_presence(sub, "left")
            return
        ttl = conf.get("REALTIME_PRESENCE_TTL_SECONDS")
        # The client refreshes its state every few seconds; one that stops (a dead network, a frozen tab) is
        # gone after the TTL even if the socket looks open.
        sub.expiry = asyncio.get_running_loop().call_later(ttl, self._expire, sub)
        # Others expire an entry after the TTL too (in case this process dies), so refresh them in time.
        if state != sub.presence or time.monotonic() - sub.presence_sent > ttl / 3:
            sub.presence = state
            await self._broadcast_presence(sub, state)

    def _expire(self, sub: Subscription) -> None:
        if sub.presence is not None and self.subs.get(sub.stream) is sub:
            sub.presence = None
            self.tasks.add(task := asyncio.ensure_future(self._broadcast_presence(sub, "left")))
            task.add_done_callback(self.tasks.discard)

    def _presence_data(self, sub: Subscription, state: str) -> dict[str, Any]:
        return {
            "user": self.user.pk,
            "name": getattr(self.user, "display_name", "") or self.user.get_username(),
            "state": state,
            "ttl": conf.get("REALTIME_PRESENCE_TTL_SECONDS"),
            "connection": self.conn_id,
            sub.kind.name: sub.key,
            **({"number": sub.facts["number"]} if "number" in sub.facts else {}),
        }

    async def _broadcast_presence(self, sub: Subscription, state: str) -> None:
        sub.presence_sent, sub.presence_sent_at = time.monotonic(), time.time()
        data = self._presence_data(sub, state)
        targets = [sub.stream, *(sub.kind.presence_also(sub.facts) if sub.kind.presence_also else [])]
        for target in targets:
            await self._broadcast(target, {"type": "realtime.presence", "stream": target, "origin": self.conn_id,
                                           "data": data})

    async def _broadcast(self, stream: str, message: dict[str, Any]) -> None:
        if self.hub is None:
            return
        try:
            await self.hub.broadcast(stream, message)
        except Exception as exc:  # a Redis hiccup must not end the connection over presence
            logger.warning("realtime: presence to %s failed: %s", stream, exc)

    async def realtime_presence(self, message: dict[str, Any]) -> None:
        sub = self.subs.get(message["stream"])
        if sub is None or message.get("origin") == self.conn_id or message.get("to", self.conn_id) != self.conn_id:
            return
        sub.ephemeral += 1
        await self._emit({
            "id": f"{sub.last_seq}.{sub.ephemeral}",
            "type": "presence.changed",
            "stream": sub.stream,
            "data": message["data"],
            "at": timezone.now().isoformat().replace("+00:00", "Z"),
        })

    async def realtime_presence_sync(self, message: dict[str, Any]) -> None:
        """Someone just subscribed: tell them directly what we are doing there."""
        sub = self.subs.get(message["stream"])
        if sub is None or sub.presence is None or message.get("reply_to") == self.conn_id:
            return
        if sub.presence_sent_at >= message.get("at", 0):
            return  # our last broadcast went out after they joined: they have it already
        await self._broadcast(sub.stream, {
            "type": "realtime.presence", "stream": sub.stream, "origin": self.conn_id, "to": message["reply_to"],
            "data": self._presence_data(sub, sub.presence),
        })

    # --- sending ---------------------------------------------------------------------------------------

    async def _emit(self, content: dict[str, Any], *, text: str | None = None) -> None:
        if self.closing:
            return
        backlog = transport_backlog(self.scope.get("realtime.server_send"))
        if backlog is not None and backlog > conf.get_int("REALTIME_SEND_BUFFER_BYTES"):
            # The client stopped reading. Dropping it bounds our memory; it resumes with last_event_id.
            await self.send_json({"type": "error", "stream": None, "code": "too_slow",
                                  "detail": _("Sambungan terlalu lambat; sambung ulang dan lanjutkan.")})
            await self._close(CLOSE_TOO_SLOW)
            return
        try:
            if text is not None:
                await self.send(text_data=text)
            else:
                await self.send_json(content)
        except Disconnected:  # the page was left while we answered (daphne raises it from send): not an error
            self.closing = True

    async def _error(self, stream: Any, code: str, detail: str) -> None:
        await self._emit({"type": "error", "stream": stream if isinstance(stream, str) else None,
                          "code": code, "detail": detail})

    async def _close(self, code: int) -> None:
        if not self.closing:
            self.closing = True
            await self.close(code=code)
