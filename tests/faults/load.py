"""Clients for the fault tests: each request is counted by kind (sent, acknowledged), every answer that is not a
success must carry the contract's error body, and a failed write is retried with the same Idempotency-Key until
it is acknowledged, as the app's own clients do. Nothing here sleeps without a bound."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.cluster.stack import PASSWORD


@dataclass
class Counts:
    sent: Counter[str] = field(default_factory=Counter)  # requests, retries included
    acked: Counter[str] = field(default_factory=Counter)  # distinct writes acknowledged (2xx)
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    unclean: list[str] = field(default_factory=list)  # an error answer without the contract's body, or a 500
    given_up: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"requests": dict(self.sent), "acknowledged": dict(self.acked),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "transport_errors": self.transport_errors, "unclean_errors": len(self.unclean),
                "given_up": len(self.given_up)}


def clean_error(response: httpx.Response) -> bool:
    """The contract: an error is JSON `{"detail", "code"}` with a meaningful status (never a bare 500)."""
    if response.status_code == 500:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("detail"), str) and isinstance(body.get("code"), str)


class Client:
    def __init__(self, base: str, token: str, counts: Counts) -> None:
        self.http = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Token {token}"}, timeout=20)
        self.counts = counts

    async def call(self, kind: str, method: str, url: str, *, key: str = "", json_body: Any = None,
                   files: Any = None, patience: float = 45.0, retry: tuple[int, ...] = (500, 503)) -> httpx.Response:
        """Send until a 2xx; retry a transport error or a status in `retry` (same key) for `patience` seconds.
        Any other answer raises."""
        headers = {"Idempotency-Key": key} if key else {}
        deadline = time.monotonic() + patience
        delay = 0.1
        last = ""
        while True:
            self.counts.sent[kind] += 1
            try:
                response = await self.http.request(method, url, json=json_body, files=files, headers=headers)
            except httpx.TransportError as exc:
                self.counts.transport_errors += 1
                last = f"{type(exc).__name__}"
            else:
                self.counts.statuses[response.status_code] += 1
                if response.is_success:
                    self.counts.acked[kind] += 1
                    return response
                if not clean_error(response):
                    self.counts.unclean.append(f"{method} {url} {response.status_code} {response.text[:200]}")
                if response.status_code not in retry:
                    raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:300]}")
                last = str(response.status_code)
            if time.monotonic() > deadline:
                self.counts.given_up.append(f"{method} {url}: {last}")
                raise RuntimeError(f"{method} {url}: not acknowledged in {patience}s ({last})")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def close(self) -> None:
        await self.http.aclose()


async def sign_in(base: str, username: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=20) as http:
        response = await http.post("/api/v1/auth/token/", json={"username": username, "password": PASSWORD})
        response.raise_for_status()
        return str(response.json()["token"])


def ticket_body(tag: str, n: int) -> dict[str, Any]:
    return {"title": f"Gagal cetak surat keterangan [{tag}]", "description": f"Halaman kosong di baris {n}. [{tag}-d]",
            "category": "kependudukan", "hosting": "vps", "visibility": "private"}
