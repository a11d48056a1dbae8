"""The domain's errors: plain Python, raised by services and access checks, with no HTTP in them.

Every error carries a stable `code` (an ASCII slug that API clients may rely on) and a `message` for the person,
already in their language. Each channel turns them into its own answer in one place:

- the API: `helpdesk.core.api.exception_handler` picks the status (the only place that knows HTTP);
- web pages and Telegram: `helpdesk.core.messages.person_message` gives the text to show.

`DomainError` itself means "this conflicts with the current state" (an illegal transition, a claim someone else
won, a vote already given). The subclasses below say something more specific. Services still raise Django's
`PermissionDenied` (not allowed), `ValidationError` (bad input, by field) and `Http404` (not found, or not visible
to this person); the two functions above handle those as well, so no new classes are needed for them.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy


class DomainError(Exception):
    """A rule of the domain was broken: the request conflicts with the current state."""

    code = "conflict"
    default_message: str | Promise = gettext_lazy("Permintaan bertentangan dengan keadaan saat ini.")

    def __init__(self, message: str | Promise | None = None, code: str | None = None) -> None:
        self.message = str(message if message is not None else self.default_message)
        self.code = code or type(self).code
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class RateLimited(DomainError):
    """Too many attempts in a window; `retry_after` (seconds) when the caller can know when to try again."""

    code = "throttled"
    default_message = gettext_lazy("Terlalu banyak permintaan. Coba lagi nanti.")

    def __init__(
        self, message: str | Promise | None = None, code: str | None = None, *, retry_after: int | None = None,
        names_wait: bool = False,
    ) -> None:
        super().__init__(message, code)
        self.retry_after = retry_after
        # True when the message already says how long to wait (the sign-in's, shared with the web form): the
        # API then adds no second "Coba lagi dalam ..." sentence, only the Retry-After header.
        self.names_wait = names_wait


class TooLarge(DomainError):
    """The input (a file, a query) is bigger than the limit."""

    code = "too_large"
    default_message = gettext_lazy("Data terlalu besar.")


class StorageFull(DomainError):
    """The server could not store a file: its disk (or quota) is full. Nothing of the request was kept."""

    code = "storage_full"
    default_message = gettext_lazy("Ruang penyimpanan server penuh, jadi berkas tidak disimpan. Coba lagi nanti.")
