"""What the profile and forum pages need to know about the bridge: whether Telegram runs on this server."""

from __future__ import annotations

from django import template

from bots import config

register = template.Library()


@register.simple_tag
def telegram_enabled() -> bool:
    """Without a token no bot runs, so the pages offer no link or code (bots.config.enabled decides)."""
    return config.enabled()
