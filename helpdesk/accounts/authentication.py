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
        user, token = super().authenticate_credentials(key)
        if not token_is_current(token):
            Token.objects.filter(pk=token.pk).delete()
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return user, token
