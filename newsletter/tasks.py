from __future__ import annotations

import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import connection

from newsletter import delivery

logger = logging.getLogger(__name__)

# No countdown of ours comes near a broker's redelivery limits (Redis's visibility timeout,
# RabbitMQ's consumer timeout): a retry due later than this is started by the sweep.
LONGEST_COUNTDOWN = 300


@shared_task
def send_edition(edition_id: int) -> int:
    """Send batches of one edition until none is due or the time budget is spent.

    A lost database connection costs a reconnect, not the task. Rows waiting for a retry
    bring the task back when the first of them is due (the sweep does, if that is later).
    """
    deadline = time.monotonic() + settings.NEWSLETTER_TASK_SECONDS
    sent = 0
    while time.monotonic() < deadline:
        try:
            claimed = delivery.send_batch(edition_id=edition_id, until=deadline)
        except delivery.DATABASE_ERRORS:
            logger.warning("Database unavailable while sending edition %s; retrying.", edition_id)
            connection.close()
            time.sleep(1)
            continue
        if not claimed:
            break
        sent += claimed
    countdown = delivery.seconds_until_due(edition_id=edition_id)
    if countdown is not None and countdown <= LONGEST_COUNTDOWN:
        send_edition.apply_async((edition_id,), countdown=countdown)
    return sent


@shared_task
def sweep_deliveries() -> int:
    """Periodic (beat, every NEWSLETTER_SWEEP_SECONDS): rows of a worker that stopped
    renewing its lease go back in the queue, and editions with rows due and nobody on them
    get workers, so recovery never waits for the broker. Two cheap queries when all is well."""
    requeued = delivery.requeue_expired()
    for edition_id in delivery.editions_to_dispatch():
        for _ in range(settings.NEWSLETTER_PARALLEL_TASKS):
            send_edition.delay(edition_id)
    return requeued


@shared_task
def send_scheduled_editions() -> list[int]:
    """Periodic (beat): scheduled editions whose time has come start sending."""
    return delivery.scheduled_editions_send()


@shared_task
def send_new_article_alerts() -> list[int]:
    """Periodic (beat): alerts for newly published articles, each exactly once."""
    return delivery.alerts_create()


@shared_task
def send_weekly_digest() -> int | None:
    """Periodic (beat, Mondays): last week's articles to weekly subscribers, once per week."""
    return delivery.digest_create()
