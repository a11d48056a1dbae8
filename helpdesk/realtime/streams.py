"""Stream names and the registry of stream kinds: who may subscribe, who may receive restricted events.

A stream is `<kind>:<id>`. Realtime knows nothing about tickets or forums: the app that owns an object
registers its kind here with the same access functions its API uses (tickets/live.py registers `ticket` and
`queue`). The `user` kind is built in: one's own stream, for notifications.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STREAM_RE = re.compile(r"^([a-z]{1,16}):([1-9][0-9]{0,17})$")

# authorize(user, key) -> a small dict of facts about the object the subscriber may know (e.g. the ticket's
# number and forum), or None when the user may not subscribe. Called in a thread: it may use the ORM.
Authorize = Callable[[Any, int], dict[str, Any] | None]
# audience check(user, key) -> bool, for events published with that audience.
AudienceCheck = Callable[[Any, int], bool]


@dataclass(frozen=True)
class StreamKind:
    name: str
    authorize: Authorize
    audiences: dict[str, AudienceCheck] = field(default_factory=dict)
    # Presence ("Budi sedang membalas") is offered on this kind's streams.
    presence: bool = False
    # Other streams that also see presence on this stream, from the facts `authorize` returned
    # (a ticket's presence also shows in its forum's queue).
    presence_also: Callable[[dict[str, Any]], list[str]] | None = None
    # Events after which subscribers are checked again at once, before delivery (a ticket made private).
    recheck_on: Callable[[dict[str, Any]], bool] | None = None


_KINDS: dict[str, StreamKind] = {}


def register(kind: StreamKind) -> StreamKind:
    existing = _KINDS.get(kind.name)
    if existing is not None and existing != kind:
        raise ValueError(f"stream kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def kind_of(name: str) -> StreamKind | None:
    return _KINDS.get(name)


def parse(stream: Any) -> tuple[str, int] | None:
    """("ticket", 42) for "ticket:42"; None when the name is malformed."""
    if not isinstance(stream, str):
        return None
    match = STREAM_RE.match(stream)
    return (match.group(1), int(match.group(2))) if match else None


def name(kind: str, key: int) -> str:
    return f"{kind}:{int(key)}"


def group(stream: str) -> str:
    """The channel-layer group of a stream (group names may not contain ':')."""
    return "rt." + stream.replace(":", ".")


def check_publishable(stream: str, audience: str) -> None:
    parsed = parse(stream)
    if parsed is None:
        raise ValueError(f"bad stream name {stream!r}: expected kind:id, e.g. ticket:42")
    kind = _KINDS.get(parsed[0])
    if kind is None:
        raise ValueError(f"unknown stream kind {parsed[0]!r}; register it in realtime.streams")
    if audience and audience not in kind.audiences:
        raise ValueError(f"stream kind {kind.name!r} has no audience {audience!r}")


# --- the built-in kind ------------------------------------------------------------------------------------


def _authorize_user(user: Any, key: int) -> dict[str, Any] | None:
    signed_in = bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)
    return {} if signed_in and user.pk == key else None


USER = register(StreamKind(name="user", authorize=_authorize_user))


def user_stream(user_id: int) -> str:
    """`user:{id}`: what only that person receives (notification.created)."""
    return name("user", user_id)
