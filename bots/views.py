"""Webhook mode: Telegram POSTs each update to /telegram/webhook/.

The URL exists only in webhook mode (`TELEGRAM_MODE=webhook`) with `TELEGRAM_WEBHOOK_SECRET` set; otherwise it
answers 404 and reads nothing. Every update must carry the secret header, compared in constant time: without it,
anyone who knows the URL could post on tickets as any linked Telegram user.
Whatever Telegram sends is answered 200 once it is stored (or found to be junk, which is logged): Telegram
retries any other answer, and a retry of junk helps nobody. Only a failure to store (the database is down)
answers 500, so that Telegram tries again later.
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
    if not config.webhook_enabled():
        return HttpResponseNotFound()
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), config.webhook_secret().encode()):
        log.warning("telegram webhook: wrong or missing secret token from %s", request.META.get("REMOTE_ADDR"))
        return HttpResponseForbidden()
    try:
        payload = json.loads(request.body, parse_constant=_reject, parse_float=_finite)
    except (ValueError, UnicodeDecodeError, RecursionError):
        log.warning("telegram webhook: malformed JSON (%d bytes), ignored", len(request.body))
        return JsonResponse({})
    outcome = intake.receive_and_apply(payload, source=TelegramUpdate.Source.WEBHOOK)
    return JsonResponse({"outcome": outcome} if outcome else {})


def _reject(token: str) -> float:
    raise ValueError(f"{token} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("number out of range")
    return value
