"""What the notifications app plugs into the accounts app, from its app's ready()."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from helpdesk.accounts.extensions import operator_changed
from helpdesk.accounts.models import User
from helpdesk.accounts.selectors import coordinators_for_desa

from .services import notify_many


def tell_coordinators_someone_waits(operator: User, event: str) -> None:
    """A new operator waits for verification: the covering team's coordinators hear it in the app and on
    Telegram (per their preferences). The accounts app mails them itself, so no e-mail from here."""
    if event != "registered" or operator.desa_id is None:
        return None
    text = _("%(name)s (Desa %(desa)s) mendaftar sebagai operator dan menunggu verifikasi Anda.") % {
        "name": operator.display_name, "desa": operator.desa.name if operator.desa else operator.desa_id}
    notify_many(coordinators_for_desa(operator.desa_id), event="operator_pending", text=text,
                url=reverse("accounts:pending-operators"), group_key=f"operator:{operator.pk}", email=False)
    return None


operator_changed.register("notifications.operator_pending", tell_coordinators_someone_waits)
