"""Helpers for end-to-end tests in Chromium against the ASGI server process."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client


def login_context(browser: Any, base_url: str, user: Any, *, phone: bool = True) -> Any:
    """A browser context already signed in as `user` (the sign-in page itself has its own tests)."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    viewport = {"width": 360, "height": 740} if phone else {"width": 1280, "height": 800}
    context = browser.new_context(viewport=viewport, locale="id-ID", base_url=base_url)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])
    return context
