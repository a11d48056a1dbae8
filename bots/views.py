"""Webhook mode: Telegram POSTs each update to /telegram/webhook/.

The secret header is compared in constant time. Whatever Telegram sends is answered 200 once it is stored
(or found to be junk, which is logged): Telegram retries any other answer, and a retry of junk helps nobody.
Only a failure to store (the database is down) answers 500, so that Telegram tries again later.
"""

from __future__ import annotations

import hmac
import json
import logging

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseNotFound, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import config, intake
from .models import TelegramUpdate

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    if not config.enabled():
        return HttpResponseNotFound()
    secret = config.webhook_secret()
    if secret:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("telegram webhook: wrong or missing secret token from %s", request.META.get("REMOTE_ADDR"))
            return HttpResponseForbidden()
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        log.warning("telegram webhook: malformed JSON (%d bytes), ignored", len(request.body))
        return JsonResponse({})
    outcome = intake.receive_and_apply(payload, source=TelegramUpdate.Source.WEBHOOK)
    return JsonResponse({"outcome": outcome} if outcome else {})
