from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from helpdesk.core.models import OutboxJob
from helpdesk.core.outbox import handler
from helpdesk.core.scheduler import periodic

from .models import Notification

KEEP_READ = timedelta(days=90)


@handler("notifications.email", atomic=False)
def send_grouped_email(payload: dict[str, Any], job: OutboxJob) -> None:
    """One e-mail with everything of one thread not yet mailed. A failure is retried by the outbox."""
    pending = list(
        Notification.objects.filter(
            user_id=payload["user"], group_key=payload.get("group", ""), wants_email=True, emailed_at__isnull=True
        ).select_related("user").order_by("pk")
    )
    if not pending:
        return
    user = pending[0].user
    with override(user.language or "id"):
        subject = pending[0].text if len(pending) == 1 else ngettext("%(n)d kabar baru di SID Helpdesk", "%(n)d kabar baru di SID Helpdesk", len(pending)) % {"n": len(pending)}
        lines = [f"- {n.text}\n  {settings.SITE_URL}{n.url}" if n.url else f"- {n.text}" for n in pending]
        body = "\n".join([_("Halo %(name)s,") % {"name": user.display_name}, "", *lines, "",
                          _("Atur notifikasi di halaman profil Anda."), f"{settings.SITE_URL}/profil/"])
        send_mail(subject[:150], body, settings.DEFAULT_FROM_EMAIL, [user.email])
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=timezone.now())


@periodic("notifications.purge", every=timedelta(days=1))
def purge_old_notifications() -> None:
    Notification.objects.filter(read_at__lt=timezone.now() - KEEP_READ).delete()
