"""The newsletter's part of /readyz (core.health): how many deliveries are due and how long
the oldest has waited. Informative: a backlog is for a monitor to alert on, not a reason to
take a web instance out of service."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from core.health import register_readiness_check
from newsletter.selectors import deliveries_due


@register_readiness_check("deliveries")
def deliveries_check() -> dict:
    due = deliveries_due(now=timezone.now())
    waited = due["oldest_seconds"]
    return {"ok": waited is None or waited <= settings.HEALTH_DELIVERIES_LATE_SECONDS, **due}
