"""How often one caller may search the knowledge base (web pages and API, suggestions included).

Anonymous callers are counted per IP address (hashed: the counter table never holds an address), with a limit
generous enough for a village office whose operators share one address; signed-in users per account. Over it,
`RateLimited` with the wait: the API answers 429 with the contract body and Retry-After, the pages a 429 page.
"""

from __future__ import annotations

import hashlib
from typing import Any

from helpdesk.accounts.throttling import client_ip
from helpdesk.core import ratelimit


def _caller(request: Any) -> tuple[str, str | int]:
    """The limit's scope and who is counted: the account, or the hashed address of an anonymous caller."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return "kb_search_user", user.pk
    return "kb_search_anon", hashlib.sha256(client_ip(request).encode()).hexdigest()[:24]


def check_search_rate(request: Any) -> None:
    """Count one search by this caller; raises RateLimited (retry_after set) when over the limit."""
    ratelimit.check(*_caller(request))


def search_rate(request: Any) -> ratelimit.Pending:
    """One search by this caller, to be counted with the search's own database read (the published check):
    RateLimited at once if this process already refused the caller in this window."""
    return ratelimit.pending(*_caller(request))
