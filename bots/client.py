"""python-telegram-bot from synchronous code: one `Bot` and one event loop thread per process.

The worker and the poller are synchronous Django code; PTB's `Bot` is asyncio. Each process keeps one loop
in a daemon thread with one initialised `Bot` (and its pooled HTTP connections), and runs coroutines there.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from contextvars import ContextVar
from typing import Any, TypeVar

import httpx
from telegram import Bot
from telegram.request import HTTPXRequest

from . import config

T = TypeVar("T")

# Set by a caller that wants to know when its request actually went out (the flood limiter does).
departure: ContextVar[list[float] | None] = ContextVar("telegram_departure", default=None)


async def _stamp_departure(request: httpx.Request) -> None:
    box = departure.get()
    if box is not None:
        box.append(time.time())

SEND_READ_TIMEOUT = 30.0  # generous: a timeout after the request left leaves the outcome unknown
CONNECT_TIMEOUT = 10.0


class BotClient:
    def __init__(self, token: str, base_url: str, base_file_url: str, *,
                 read_timeout: float = SEND_READ_TIMEOUT) -> None:
        self.token = token
        self.base_url = base_url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="telegram-client", daemon=True)
        self.thread.start()
        self.bot = Bot(
            token,
            base_url=base_url,
            base_file_url=base_file_url,
            request=HTTPXRequest(
                connection_pool_size=8,
                read_timeout=read_timeout,
                write_timeout=read_timeout,
                connect_timeout=CONNECT_TIMEOUT,
                pool_timeout=CONNECT_TIMEOUT,
                httpx_kwargs={"event_hooks": {"request": [_stamp_departure]}},
            ),
            get_updates_request=HTTPXRequest(
                connection_pool_size=1, read_timeout=60.0, connect_timeout=CONNECT_TIMEOUT
            ),
        )
        self._initialised = False

    def run(self, fn: Callable[[Bot], Awaitable[T]], *, timeout: float | None = None) -> T:
        """Run `fn(bot)` on the client's loop and wait for its result (or its exception)."""

        async def call() -> T:
            if not self._initialised:
                await self.bot.initialize()
                self._initialised = True
            return await fn(self.bot)

        future: Future[T] = asyncio.run_coroutine_threadsafe(call(), self.loop)
        return future.result(timeout=timeout)

    def api(self, method: str, params: dict[str, Any] | None = None, *, read_timeout: float | None = None) -> Any:
        """A raw Bot API call: the JSON `result`, as Telegram sent it."""
        return self.run(
            lambda bot: bot.do_api_request(
                method, api_kwargs=params or {}, read_timeout=read_timeout  # type: ignore[arg-type]
            )
        )

    def username(self) -> str:
        return str(self.run(lambda bot: _username(bot)))

    def close(self) -> None:
        async def shutdown() -> None:
            if self._initialised:
                await self.bot.shutdown()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(timeout=5)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=5)


async def _username(bot: Bot) -> str:
    return bot.username


_clients: dict[tuple[str, str], BotClient] = {}
_lock = threading.Lock()


def get_client() -> BotClient:
    """The process's client for the configured token and API URL."""
    token, base_url = config.token(), config.base_url()
    if not token:
        raise RuntimeError("TELEGRAM_BOT_TOKEN is not set: the Telegram bridge is disabled")
    with _lock:
        client = _clients.get((token, base_url))
        if client is None:
            client = BotClient(token, base_url, config.base_file_url(), read_timeout=config.send_timeout())
            _clients[(token, base_url)] = client
        return client


def reset_clients() -> None:
    """Close every client (tests that change the token or the API URL)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        with contextlib.suppress(Exception):  # a client whose loop is gone has nothing left to close
            client.close()
