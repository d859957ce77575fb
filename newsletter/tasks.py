"""The newsletter's Celery tasks: each takes ids, calls the engine or a service, and returns."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from core.mail import RETRY_POLICY
from newsletter import delivery, services, trial_follows


@shared_task
def edition_deliver(edition_id: int) -> int:
    """A worker's share of one edition (delivery.deliver_for); back when a retry is due."""
    sent, countdown = delivery.deliver_for(
        edition_id=edition_id, seconds=settings.NEWSLETTER_TASK_SECONDS
    )
    if countdown is not None:
        edition_deliver.apply_async((edition_id,), countdown=countdown)
    return sent


@shared_task
def sweep_deliveries() -> int:
    """Periodic (beat, every NEWSLETTER_SWEEP_SECONDS): lost claims and stalled editions."""
    return services.deliveries_recover()


@shared_task
def send_scheduled_editions() -> list[int]:
    """Periodic (beat): scheduled editions whose time has come start sending."""
    return services.scheduled_editions_send()


@shared_task
def send_new_article_alerts() -> list[int]:
    """Periodic (beat): alerts for newly published articles, each exactly once."""
    return services.alerts_create()


@shared_task
def send_weekly_digest() -> int | None:
    """Periodic (beat, Mondays): last week's articles to weekly subscribers, once per week."""
    return services.digest_create()


@shared_task(**RETRY_POLICY)
def send_trial_change_mail() -> int:
    """Periodic (beat): each trial change to its followers, once (trial_follows.py)."""
    return trial_follows.trial_change_mail_send()
