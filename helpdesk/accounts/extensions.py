"""The accounts app's extension points: where the apps above it add to the profile page, the notification
preferences and a volunteer's deactivation, without accounts importing them. Each is a `core.registry.Registry`;
who registers what is listed in docs/accounts.md ("Extension points"). Register from your app's `hooks.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpdesk.core.registry import Registry

from .models import ForumMembership, User

# Template names included on the profile page with `user` in the context, keyed by the app that adds them.
profile_sections: Registry[str] = Registry("accounts.profile_sections")


@dataclass(frozen=True)
class NotificationEvent:
    label: Promise
    email: bool = True
    telegram: bool = True
    digest: bool = False

    def default(self, channel: str) -> bool:
        return bool(getattr(self, channel))


# Every event a service may `notify` about, with its default channels; register one before sending it. The
# preferences page lists them in this order. `User.notification_prefs` holds only what the person changed.
notification_events: Registry[NotificationEvent] = Registry("accounts.notification_events")
for _event, _spec in {
    "ticket_reply": NotificationEvent(_("Balasan baru pada tiket saya")),
    "ticket_status": NotificationEvent(_("Status tiket saya berubah")),
    "ticket_new": NotificationEvent(_("Tiket baru di antrean forum saya"), email=False),
    "ticket_assigned": NotificationEvent(_("Tiket diserahkan kepada saya")),
    "sla_warning": NotificationEvent(_("Tiket saya mendekati batas waktu layanan"), email=False),
    "sla_breach": NotificationEvent(_("Tiket melewati batas waktu layanan")),
    "operator_pending": NotificationEvent(_("Operator baru menunggu verifikasi")),
}.items():
    notification_events.register(_event, _spec)


class MembershipDeactivated(Protocol):
    """Called with the membership inside the deactivation's transaction, after it is saved inactive."""

    def __call__(self, membership: ForumMembership) -> None: ...


membership_deactivated: Registry[MembershipDeactivated] = Registry("accounts.membership_deactivated")


class OperatorChanged(Protocol):
    """Called inside the transaction of an operator's sign-up (`event` "registered") or review ("verified",
    "rejected", "deactivated"), after it is saved. May return something filed on the operator's behalf as
    (label, path), e.g. the ticket they prepared while waiting, which the review's e-mail then names."""

    def __call__(self, operator: User, event: str) -> tuple[str, str] | None: ...


operator_changed: Registry[OperatorChanged] = Registry("accounts.operator_changed")
