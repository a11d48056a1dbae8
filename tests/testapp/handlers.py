from __future__ import annotations

import time
from typing import Any

from helpdesk.core.models import OutboxJob
from helpdesk.core.outbox import handler

from .models import Marker


@handler("test.mark")
def mark(payload: dict[str, Any], job: OutboxJob) -> None:
    Marker.objects.create(job_key=job.key, note=payload.get("note", ""))
    # The first attempt lingers, so that a test can kill the worker in the middle of the job.
    if job.attempts == 1 and payload.get("linger_first_attempt"):
        time.sleep(float(payload["linger_first_attempt"]))


@handler("test.fail", max_attempts=3)
def fail(payload: dict[str, Any], job: OutboxJob) -> None:
    Marker.objects.create(job_key=job.key, note="attempt")
    raise RuntimeError("simulated failure")
