"""System checks for production settings (DEBUG off): the silent fallbacks that are right for development.

They are warnings, so `migrate` and friends still run, but every `manage.py check` (and `check --deploy`)
prints them; `check --deploy --fail-level WARNING` turns them into a failed start. docs/deploy.md lists them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0", ""}  # noqa: S104  (a name to compare, not a bind)
MAIL_DISCARDING_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "printed to the console",
    "django.core.mail.backends.locmem.EmailBackend": "kept in memory",
    "django.core.mail.backends.dummy.EmailBackend": "thrown away",
}


@register(Tags.security, deploy=False)
def production_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    return [*_mail(), *_site_url(), *_proxy()]


def _mail() -> list[CheckMessage]:
    found: list[CheckMessage] = []
    fate = MAIL_DISCARDING_BACKENDS.get(settings.EMAIL_BACKEND)
    if fate:
        found.append(
            CheckWarning(
                f"EMAIL_URL is not set: e-mail (password resets, notifications) is {fate} and marked sent.",
                hint="Set EMAIL_URL=smtp+tls://user:password@smtp.example:587 (deploy/env.example).",
                id="helpdesk.W001",
            )
        )
    sender = str(settings.DEFAULT_FROM_EMAIL).strip().rstrip(">").lower()
    if sender.endswith("@localhost") or sender.endswith(".localhost"):
        found.append(
            CheckWarning(
                f"DEFAULT_FROM_EMAIL is {settings.DEFAULT_FROM_EMAIL!r}: mail from @localhost is refused or "
                "filed as spam, and replies go nowhere.",
                hint="Set DEFAULT_FROM_EMAIL='SID Helpdesk <bantuan@your-domain>' on a domain whose SPF/DKIM "
                "allow the SMTP server.",
                id="helpdesk.W003",
            )
        )
    return found


def _site_url() -> list[CheckMessage]:
    host = urlsplit(settings.SITE_URL).hostname or ""
    if host not in LOOPBACK_HOSTS and not host.endswith(".localhost"):
        return []
    return [
        CheckWarning(
            f"SITE_URL is {settings.SITE_URL!r}: links in e-mail and Telegram messages point to this machine "
            "itself, not to the site.",
            hint="Set SITE_URL to the public address, e.g. SITE_URL=https://bantuan.example.id",
            id="helpdesk.W002",
        )
    ]


def _proxy() -> list[CheckMessage]:
    behind_proxy = getattr(settings, "BEHIND_PROXY", None)
    if behind_proxy is None:
        return [
            CheckWarning(
                "BEHIND_PROXY is not set. Behind nginx with BEHIND_PROXY=0 every client has nginx's address, "
                "so the per-address sign-in limit locks everyone out at once; with BEHIND_PROXY=1 the "
                "X-Forwarded-For and X-Forwarded-Proto headers are trusted, so they must come from your proxy.",
                hint="Set BEHIND_PROXY=1 behind nginx that overwrites X-Forwarded-For (deploy/nginx/), or "
                "BEHIND_PROXY=0 when clients connect to the app directly. docs/deploy.md, 'BEHIND_PROXY'.",
                id="helpdesk.W004",
            )
        ]
    if not behind_proxy and settings.HTTPS:
        return [
            CheckWarning(
                "HTTPS=1 with BEHIND_PROXY=0: the app serves no TLS itself, so a proxy terminates it, and then "
                "every client has the proxy's address (the sign-in limit locks out the site) and every "
                "request looks like plain HTTP (the HTTPS redirect loops).",
                hint="Set BEHIND_PROXY=1 behind nginx that overwrites X-Forwarded-For and X-Forwarded-Proto.",
                id="helpdesk.W005",
            )
        ]
    return []
