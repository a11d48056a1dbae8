"""Per-process copies of reference data that every filing reads and only admins write, rarely: the active
categories, the SLA policies, the holidays (issue 18: each was a query of its own in every filing).

A `RefCache` holds one loaded value per process, tagged with a version token kept in Django's cache, which every
process shares. Saving or deleting a row of a watched model (post_save, post_delete) sets a new token, so every
process reloads on its next read: reading the token is the one query left per read.

The token lives in the database cache (settings.CACHES), so setting it is part of the transaction that changed the
rows: other processes see the new token when they can see the new rows, and a rollback takes both back (a copy
loaded inside the rolled-back transaction is held under a token that no longer exists, so it is dropped on the
next read). The token is set once more after commit, for a cache that is not transactional. A missing token (the
cache culled or cleared) means "reload".

What does not send signals (`QuerySet.update()`, `bulk_create`, raw SQL) must call `invalidate()` itself. After
`flush` and `migrate` (post_migrate) each process drops its copies.

Within a web request (`request_scope()`, opened by the request-id middleware) the first read takes the tokens of
every copy in one query and the request's later reads use them: a filing reads two copies, and took two queries
for their tokens. A request that changes watched rows reads every token from the cache from then on: a token it
took inside its transaction would outlive a rollback.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_migrate, post_save

T = TypeVar("T")

_PREFIX = "refcache:"
_caches: list[RefCache[object]] = []
# The tokens taken in the current request (None outside one: every read asks the cache).
_request_tokens: ContextVar[dict[str, str | None] | None] = ContextVar("refcache_tokens", default=None)


@contextmanager
def request_scope() -> Iterator[None]:
    scope = _request_tokens.set({})
    try:
        yield
    finally:
        _request_tokens.reset(scope)


_OFF = ""  # in a request's tokens: it changed reference rows, take nothing more


def _token(key: str) -> str | None:
    taken = _request_tokens.get()
    if taken is None or _OFF in taken:
        return cache.get(key)  # type: ignore[no-any-return]
    if key not in taken:
        keys = [c.key for c in _caches]
        found = cache.get_many(keys)
        taken.update({k: found.get(k) for k in keys})
    return taken[key]


class RefCache(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T], *watched: type[models.Model]) -> None:
        self.key = f"{_PREFIX}{name}"
        self._load = load
        self._held: tuple[str, T] | None = None  # replaced whole, never changed in place: safe across threads
        for model in watched:
            uid = f"{self.key}:{model._meta.label}"
            post_save.connect(self._changed, sender=model, weak=False, dispatch_uid=f"{uid}:save")
            post_delete.connect(self._changed, sender=model, weak=False, dispatch_uid=f"{uid}:delete")
        post_migrate.connect(self._migrated, weak=False, dispatch_uid=f"{self.key}:migrate")
        _caches.append(self)  # type: ignore[arg-type]

    def get(self) -> T:
        version = _token(self.key)
        held = self._held
        if version is not None and held is not None and held[0] == version:
            return held[1]
        if version is None:
            fresh = uuid.uuid4().hex
            version = fresh if cache.add(self.key, fresh, timeout=None) else cache.get(self.key)
            taken = _request_tokens.get()
            if taken is not None and _OFF not in taken:
                taken[self.key] = version
        value = self._load()
        if version is not None:
            self._held = (version, value)
        return value

    def invalidate(self) -> None:
        """The rows changed: every process reloads on its next read (this one at once). The new token is set in
        the transaction that changed them, and once more after it commits."""
        self._new_token()
        transaction.on_commit(self._new_token)

    def forget(self) -> None:
        """Drop this process's copy only."""
        self._held = None

    def _new_token(self) -> None:
        self._held = None
        taken = _request_tokens.get()
        if taken is not None:
            taken.clear()
            taken[_OFF] = None
        cache.set(self.key, uuid.uuid4().hex, timeout=None)

    def _changed(self, **kwargs: object) -> None:
        self.invalidate()

    def _migrated(self, **kwargs: object) -> None:
        # flush (TRUNCATE: no row signals) and migrate end here. The shared token stays (the cache table may not
        # exist yet during the first migrate): this process reloads on its next read and holds what it reads then.
        self.forget()
