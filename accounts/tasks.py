from __future__ import annotations

import smtplib

from celery import shared_task
from django.core.management import call_command

from accounts.emails import email_from_payload


class TemporaryMailError(Exception):
    """The server or the connection failed in a way that a later attempt may not."""


@shared_task(
    autoretry_for=(TemporaryMailError,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def send_email(payload: dict) -> None:
    """Send one account message (verification, password reset, email change).

    Connection trouble and 4xx answers are retried with backoff; a 5xx refusal of the
    address is permanent and not retried.
    """
    try:
        email_from_payload(payload).send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        if any(code < 500 for code in codes):
            raise TemporaryMailError(str(error)) from error
        raise
    except smtplib.SMTPResponseException as error:
        if error.smtp_code >= 500:
            raise
        raise TemporaryMailError(str(error)) from error
    except (smtplib.SMTPException, OSError) as error:
        raise TemporaryMailError(str(error)) from error


@shared_task
def clear_expired_sessions() -> None:
    call_command("clearsessions")
