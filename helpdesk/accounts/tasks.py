"""Outbox handlers of the accounts app: e-mail to a person, rendered in their language when it is sent.

Services enqueue `accounts.email` jobs `{"template", "user", ...}` inside their transaction; the worker sends
them after commit. Mail is at-least-once: a worker that dies between sending and marking the job done
sends it again, which beats losing a verification notice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from helpdesk.core import outbox
from helpdesk.core.models import OutboxJob

from .models import User
from .preferences import user_language

EMAIL_TEMPLATES = {
    "operator_pending",
    "operator_verified",
    "operator_rejected",
    "operator_deactivated",
    "password_reset",
    "email_in_use",
    "email_change",
}


def _context(template: str, user: User, payload: dict[str, Any]) -> dict[str, Any]:
    context: dict[str, Any] = {"user": user, "site_url": settings.SITE_URL, "note": payload.get("note", "")}
    if template == "password_reset":
        # Made now, not when the job was queued, so the outbox never holds a working reset link.
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        context["reset_url"] = settings.SITE_URL + reverse("accounts:password-reset-confirm", args=[uid, token])
    elif template == "email_change":
        from .services import email_change_token

        # Made when sent, like the reset link: the outbox never holds a working link.
        token = email_change_token(user, str(payload.get("to", "")))
        context["confirm_url"] = settings.SITE_URL + reverse("accounts:email-confirm", args=[token])
        context["new_email"] = payload.get("to", "")
    elif template == "email_in_use":
        context["reset_url"] = settings.SITE_URL + reverse("accounts:password-reset")
    elif template == "operator_pending":
        operator = User.objects.select_related("desa").filter(pk=int(payload.get("operator") or 0)).first()
        context["operator"] = operator
        context["review_url"] = settings.SITE_URL + reverse("accounts:pending-operators")
    else:
        context["signin_url"] = settings.SITE_URL + reverse("accounts:login")
        context["filed"] = [{"label": str(item.get("label", "")), "url": settings.SITE_URL + str(item.get("path", ""))}
                            for item in payload.get("filed") or [] if isinstance(item, dict)]
    return context


@outbox.handler("accounts.email", atomic=False)
def send_account_email(payload: dict[str, Any], job: OutboxJob) -> None:
    template = str(payload.get("template", ""))
    if template not in EMAIL_TEMPLATES:
        raise ValueError(f"unknown account e-mail template {template!r}")
    user = User.objects.filter(pk=int(payload.get("user") or 0)).first()
    # An address change is confirmed at the new address; everything else goes to the account's own.
    recipient = str(payload.get("to", "")) if template == "email_change" else (user.email if user else "")
    if user is None or not recipient:
        return  # the account is gone or has no address: nothing to send, nothing to retry
    if template == "password_reset" and not (user.is_active and user.has_usable_password()):
        return
    context = _context(template, user, payload)
    if template == "operator_pending" and context["operator"] is None:
        return
    with translation.override(user_language(user)):
        subject = " ".join(render_to_string(f"accounts/email/{template}_subject.txt", context).split())
        body = render_to_string(f"accounts/email/{template}.txt", context)
    send_mail(subject, body, None, [recipient])
