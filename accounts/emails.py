"""Sending one rendered message through Celery, after the current transaction commits."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string


def email_payload(message: EmailMessage) -> dict:
    """The plain-JSON form of a rendered message, as passed to the sending task."""
    alternatives = getattr(message, "alternatives", [])
    return {
        "subject": str(message.subject),
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "html": next((str(c) for c, mimetype in alternatives if mimetype == "text/html"), None),
    }


def email_from_payload(payload: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload["from_email"],
        to=payload["to"],
        reply_to=payload.get("reply_to") or None,
        headers=payload.get("headers") or None,
    )
    if payload.get("html"):
        message.attach_alternative(payload["html"], "text/html")
    return message


def render_mail(
    prefix: str, *, to: str, context: dict, from_email: str | None = None
) -> EmailMultiAlternatives:
    """The one mail builder: `<prefix>_subject.txt`, `_message.txt` and `_message.html`."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{prefix}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=render_to_string(f"{prefix}_message.txt", context),
        from_email=from_email,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"{prefix}_message.html", context), "text/html")
    return message


def email_queue(message: EmailMessage) -> None:
    """Queue a rendered message; it leaves only if the surrounding transaction commits."""
    from accounts.tasks import send_email

    payload = email_payload(message)
    transaction.on_commit(lambda: send_email.delay(payload))
