"""API token authentication that honours password changes: a token older than the password is void."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from .models import User


def token_is_current(token: Token) -> bool:
    user: User = token.user
    return user.password_changed_at is None or token.created >= user.password_changed_at


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        # DRF's lookup, with the person's desa in the same query: an operator filing a ticket (the API's busiest
        # write) has it read at once for routing and the SLA's time zone. An unknown key or an inactive person goes
        # to DRF's own, which refuses with its own message.
        # The key is the primary key: at most one row, so no ORDER BY and LIMIT for `first()` to compile.
        found = list(Token.objects.select_related("user", "user__desa").filter(pk=key))
        token = found[0] if found else None
        if token is None or not token.user.is_active:
            return super().authenticate_credentials(key)
        user = token.user
        if not token_is_current(token):
            Token.objects.filter(pk=token.pk).delete()
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return user, token
