from __future__ import annotations

import time

from celery import shared_task
from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from newsletter import delivery
from newsletter.models import Delivery


@shared_task
def send_edition(edition_id: int) -> int:
    """Send batches of one edition until none is due or the time budget is spent.

    Rows waiting for a retry bring the task back when the first of them is due, so the
    broker never holds a countdown longer than the retry delay.
    """
    deadline = time.monotonic() + settings.NEWSLETTER_TASK_SECONDS
    sent = 0
    while time.monotonic() < deadline:
        claimed = delivery.send_batch(edition_id=edition_id)
        if not claimed:
            break
        sent += claimed
    waiting = Delivery.objects.filter(edition_id=edition_id, status=Delivery.Status.QUEUED)
    first_due = waiting.aggregate(first=Min("next_attempt_at"))["first"]
    if first_due is not None:
        countdown = max(0.0, (first_due - timezone.now()).total_seconds())
        send_edition.apply_async((edition_id,), countdown=countdown)
    return sent


@shared_task
def send_scheduled_editions() -> list[int]:
    """Periodic (beat): scheduled editions whose time has come start sending."""
    return delivery.scheduled_editions_send()


@shared_task
def requeue_stale_deliveries() -> int:
    """Periodic (beat): rows claimed by a worker that died go back in the queue, and an
    edition whose tasks were lost gets new ones, so recovery never depends on the broker."""
    requeued = delivery.requeue_stale()
    for edition_id in delivery.stalled_editions():
        for _ in range(settings.NEWSLETTER_PARALLEL_TASKS):
            send_edition.delay(edition_id)
    return requeued


@shared_task
def send_new_article_alerts() -> list[int]:
    """Periodic (beat): alerts for newly published articles, each exactly once."""
    return delivery.alerts_create()


@shared_task
def send_weekly_digest() -> int | None:
    """Periodic (beat, Mondays): last week's articles to weekly subscribers, once per week."""
    return delivery.digest_create()
