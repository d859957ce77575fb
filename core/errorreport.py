"""Error reports to Sentry (or any service speaking its protocol), only when SENTRY_DSN is set:
settings import this module only then, so without a DSN sentry_sdk is never loaded.

Nothing personal leaves: no default PII (no cookies, users or IP addresses), no request bodies,
and every string of every event and breadcrumb (messages, URLs, query strings, local variables,
log lines) goes through core.redaction, the same function as the logs.
"""

from __future__ import annotations

import sentry_sdk
import structlog
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import ignore_logger

from core.redaction import scrub


def event_scrub(event: dict, hint: dict) -> dict:
    # The request's (or the queuing request's) id, to find the report's log lines.
    if request_id := structlog.contextvars.get_contextvars().get("request_id"):
        event.setdefault("tags", {})["request_id"] = request_id
    return scrub(event)


def breadcrumb_scrub(crumb: dict, hint: dict) -> dict:
    return scrub(crumb)


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        before_send=event_scrub,
        before_send_transaction=event_scrub,
        before_breadcrumb=breadcrumb_scrub,
        traces_sample_rate=traces_sample_rate,
    )
    # A failed request is reported by the Django integration itself; its log line would be
    # the same error a second time.
    ignore_logger("django_structlog.middlewares.request")
