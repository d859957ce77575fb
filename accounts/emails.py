"""Sending one rendered message through Celery, after the current transaction commits."""

from __future__ import annotations

from functools import cache

import css_inline
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string

from config.mail import MailMessage


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


def email_from_payload(payload: dict) -> MailMessage:
    message = MailMessage(
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


@cache
def _stylesheet() -> str:
    return render_to_string("email/email.css")


@cache
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(extra_css=_stylesheet(), load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    """Our mail stylesheet (templates/email/email.css) moved into style attributes, since
    many mail clients ignore <style>; media queries stay in a kept <style> block."""
    return _inliner().inline(html)


def inline_css_fragment(html: str) -> str:
    """The same for a piece of a message rendered on its own (a digest's article block)."""
    return _inliner().inline_fragment(html, _stylesheet())


def render_mail(
    prefix: str, *, to: str, context: dict, from_email: str | None = None
) -> MailMessage:
    """The one mail builder: `<prefix>_subject.txt`, `_message.txt` and `_message.html`."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{prefix}_subject.txt", context).split())
    message = MailMessage(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=render_to_string(f"{prefix}_message.txt", context),
        from_email=from_email,
        to=[to],
    )
    html = render_to_string(f"{prefix}_message.html", context)
    message.attach_alternative(inline_css(html), "text/html")
    return message


def email_queue(message: EmailMessage) -> None:
    """Queue a rendered message; it leaves only if the surrounding transaction commits."""
    from accounts.tasks import send_email

    payload = email_payload(message)
    transaction.on_commit(lambda: send_email.delay(payload))
