from __future__ import annotations

import logging

from celery import shared_task
from django.core.management import call_command

from accounts.emails import email_from_payload
from config.mail import Fault, MailDeferred, MailRefused, deliver

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(MailDeferred,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def send_email(payload: dict) -> None:
    """Send one rendered message (account, subscription or comment mail).

    Classified as all mail is (config.mail.classify): connection trouble and 4xx answers are
    retried with backoff; a refused address is final; a refusal of our sender or of the
    message is logged as an error for whoever runs the site, since it is ours to fix.
    """
    try:
        deliver(email_from_payload(payload))
    except MailRefused as error:
        if error.fault is Fault.RECIPIENT_REFUSED:
            logger.warning("Mail to one recipient refused for good: %s", error)
        else:
            logger.error("The mail server refused our message (check the sender): %s", error)


@shared_task
def clear_expired_sessions() -> None:
    call_command("clearsessions")
