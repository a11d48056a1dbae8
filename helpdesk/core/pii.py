"""Personal data out of text that the public will read (UU PDP 27/2022): NIK, KK, phone numbers, names, ...

`mask(text)` is the one masking step for public tickets: `tickets.services.ticket_create` runs it on every
public ticket, whatever the entry point (API, forum ask form, Telegram), and the forum's consent flow runs it
when a private ticket is made public. It lives in `core` so that tickets, forum and kb can all use it without
importing each other. The knowledge base's richer, reviewable masking is `kb/masking.py`.
"""

from __future__ import annotations

from lokal import mask_pii


def mask(text: str) -> tuple[str, list[str]]:
    """Personal data replaced by placeholders such as [NIK_1]; also the kinds that were masked (NIK, PHONE, ...)."""
    if not text:
        return text, []
    result = mask_pii(text)
    return result.text, sorted({m.type for m in result.matches})
