"""Notification emails about comments: rendered from templates, plain text and HTML."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def build_mail(template: str, *, to: str, context: dict) -> EmailMultiAlternatives:
    """`comments/email/<template>_subject.txt`, `_message.txt` and `_message.html`."""
    context = {
        "site_name": settings.SITE_NAME,
        "settings_url": _absolute(reverse("account_settings")),
        **context,
    }
    subject = render_to_string(f"comments/email/{template}_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {' '.join(subject.split())}",
        body=render_to_string(f"comments/email/{template}_message.txt", context),
        to=[to],
    )
    message.attach_alternative(
        render_to_string(f"comments/email/{template}_message.html", context), "text/html"
    )
    return message


def comment_context(comment) -> dict:
    return {
        "comment": comment,
        "article": comment.article,
        "comment_url": _absolute(comment.get_absolute_url()),
        "author_name": comment.author.public_name if comment.author else "A reader",
    }


def send(message: EmailMultiAlternatives) -> None:
    with get_connection() as connection:
        connection.send_messages([message])
