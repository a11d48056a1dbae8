"""The extension-point registry: typed, ordered, and a key is taken once."""

from __future__ import annotations

import pytest

from helpdesk.core.registry import Registry


def test_pieces_come_back_in_the_order_they_were_registered() -> None:
    panels: Registry[str] = Registry("test.panels")
    panels.register("forum", "forum/_panel.html")
    panels.register("kb", "kb/_panel.html")
    assert list(panels) == ["forum", "kb"]
    assert list(panels.values()) == ["forum/_panel.html", "kb/_panel.html"]
    assert "kb" in panels and "bots" not in panels and len(panels) == 2


def test_a_second_registration_under_a_key_is_refused() -> None:
    panels: Registry[str] = Registry("test.panels")
    panels.register("forum", "forum/_panel.html")
    with pytest.raises(ValueError, match=r"test\.panels: 'forum' is registered twice"):
        panels.register("forum", "forum/_other.html")
    assert panels["forum"] == "forum/_panel.html"


def test_registering_the_same_piece_again_is_harmless_and_unregister_frees_the_key() -> None:
    def rule() -> bool:
        return True

    rules: Registry[object] = Registry("test.rules")
    assert rules.register("forum", rule) is rule
    rules.register("forum", rule)
    assert list(rules.values()) == [rule]
    rules.unregister("forum")
    assert "forum" not in rules


def test_the_real_extension_points_hold_what_the_apps_register() -> None:
    from helpdesk.accounts.extensions import profile_sections
    from helpdesk.notifications.extensions import channels, team_channels
    from helpdesk.tickets import extensions as tickets

    assert list(tickets.listeners) == ["tickets.notify", "tickets.live", "forum", "bots", "bots.edits"]
    assert list(tickets.ticket_panels) == ["forum", "kb"]
    assert list(tickets.duplicate_rules) == list(tickets.post_rules) == ["forum"]
    assert list(tickets.ticket_form_steps) == list(tickets.answer_finders) == ["kb"]
    assert list(tickets.contribution_listeners) == ["forum"]
    assert list(profile_sections) == ["forum", "bots"]
    assert list(channels) == list(team_channels) == ["telegram"]
