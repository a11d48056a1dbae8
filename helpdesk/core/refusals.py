"""What a person is told when a service refuses: one function for the web pages and the Telegram bridge alike.

The API does not use it: its exception handler (`helpdesk.core.api`) answers with a status and a JSON body.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from .errors import DomainError

# What a service raises when it says no. Web pages catch these and show the message; anything else is a bug and
# should fail loudly. Http404 (absent, or not visible to this person) is not among them: a web page lets it become
# its 404 page, and a channel without pages (Telegram) catches it too and answers in words.
REFUSALS: tuple[type[Exception], ...] = (DomainError, PermissionDenied, ValidationError)
REFUSALS_OR_ABSENT: tuple[type[Exception], ...] = (*REFUSALS, Http404)


def person_message(exc: Exception, *, not_found: str | None = None) -> str:
    """The refusal in the person's words. `not_found` names what was not found, where the caller knows it
    (Django's own 404 messages are for developers, in English, and are never shown)."""
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, Http404):
        return not_found or _("Tidak ditemukan, atau Anda tidak boleh melihatnya.")
    return str(exc) or _("Tindakan tidak diizinkan.")


def show_on_form(form: forms.Form, exc: Exception, *, rename: dict[str, str] | None = None) -> None:
    """A refusal on a web form: a ValidationError's `{field: [messages]}` beside those fields (`rename` maps a
    service's field name to the form's; fields the form doesn't have go on top), anything else on top."""
    if not isinstance(exc, ValidationError):
        form.add_error(None, person_message(exc))
        return
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for field, messages in errors.items():
        name = (rename or {}).get(field, field)
        form.add_error(name if name in form.fields else None, messages)
