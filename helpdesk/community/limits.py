"""Limits for accounts that have not earned trust yet: a few public posts a day, and no links before their
first accepted answer. Registered in tickets' post_rules, so public questions and answers from the web, the API
and Telegram all pass here; the forum's own comments call it too.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from helpdesk.accounts.access import forums_of, is_admin
from helpdesk.core.errors import RateLimited
from helpdesk.core.ratelimit import hit
from helpdesk.tickets import access as ticket_access
from helpdesk.tickets.models import Ticket

from . import reputation

# What renders as a link (the Markdown renderer does not linkify bare domains): URLs with a scheme, www.,
# inline links and autolinks, and reference definitions.
LINK_RE = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://|\bwww\.|\]\s*\(|<[a-z][a-z0-9+.-]*:|^\s*\[[^\]]+\]:\s*\S)", re.M)


def has_link(text: str) -> bool:
    return bool(LINK_RE.search(text or ""))


def is_trusted(user: Any) -> bool:
    """Volunteers and admins are never limited."""
    return is_admin(user) or bool(forums_of(user))


def check_public_post(user: Any, ticket: Ticket, text: str, *, field: str = "body", follow_up: bool = False) -> None:
    """Raise when a new account may not post `text` publicly now. `follow_up`: the asker adding to their own
    question, which is not limited per day (they are answering the helpers)."""
    if is_trusted(user):
        return
    mine = reputation.standing(user)
    if mine.accepted_answers == 0 and has_link(text):
        raise ValidationError({field: [_("Tautan bisa dipakai setelah salah satu jawaban Anda diterima.")]})
    if follow_up or not reputation.is_new_account(user):
        return
    limit, window = settings.RATE_LIMITS["forum_new_account_post"]
    if not hit("forum_new_account_post", user.pk, limit=limit, window_seconds=window):
        raise RateLimited(
            _("Akun baru bisa menulis %(n)d kali sehari di forum. Coba lagi besok.") % {"n": limit}, retry_after=window
        )


def post_rule(user: Any, ticket: Ticket, text: str) -> None:
    """In tickets.extensions.post_rules (hooks.py): public questions and public replies."""
    if not ticket.is_public:
        return
    creating = ticket.pk is None
    check_public_post(
        user, ticket, text, field="description" if creating else "body",
        follow_up=not creating and ticket_access.is_desa_side(user, ticket),
    )
