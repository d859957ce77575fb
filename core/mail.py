"""The one way mail leaves Driverline.

Render (`render_mail`: subject, text and HTML templates, the shared stylesheet inlined), queue
after the transaction commits (`email_queue`), and send on a Celery worker (`send_email`), with
one failure policy for every kind of mail (`classify`): a 4xx answer or a dropped connection is
tried again with backoff, a 5xx answer is final and never retried. The newsletter engine sends
its own batches but follows the same classification. In development, `EmlFileBackend` writes
each message to var/mail/ as a file any mail client opens.
"""

from __future__ import annotations

import enum
import logging
import smtplib
import uuid
from email import policy
from email.utils import parseaddr
from functools import cache
from pathlib import Path

import css_inline
from anymail.exceptions import AnymailError
from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends import smtp
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import sanitize_address
from django.db import InterfaceError, OperationalError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from core.dkim_signing import message_sign
from core.links import mail_context
from core.providers import is_provider_error, provider_describe, provider_fault
from core.suppression import (
    REQUESTED_HEADER,
    suppression_add,
    suppression_reasons,
    suppression_skips_record,
)

logger = logging.getLogger(__name__)

FILE_BACKEND = "core.mail.EmlFileBackend"
# Marks mail that carries an account's keys (verification, password reset, email change); the
# outbox never shows it.
ACCOUNT_SECURITY_HEADER = "X-Driverline-Account-Security"


class MailMessage(EmailMultiAlternatives):
    """Every message we send. Django's legacy header folding puts a long non-ASCII subject
    on a continuation line after an empty "Subject:"; the modern policy folds it properly.
    (Other headers stay as Django writes them: a List-Unsubscribe link is one long token, and
    the modern policy would fold it by encoding it, which mail clients would not read.)"""

    def message(self, *args, **kwargs):
        msg = super().message(*args, **kwargs)
        folded = policy.SMTP.fold("Subject", str(self.subject)).removeprefix("Subject:")
        # A value that fits a line only without its name is folded right after "Subject:":
        # it is put back on the first line, or the subject would read "Subject: …".
        folded = folded.removeprefix("\r\n").lstrip(" ")
        # replace_header, not msg[...]: Django's __setitem__ refuses the folds on purpose.
        msg.replace_header("Subject", folded.rstrip("\r\n").replace("\r\n", "\n"))
        return msg


class EmlFileBackend(BaseEmailBackend):
    """Writes each message as its own RFC 5322 file, readable by any mail client."""

    def send_messages(self, email_messages):
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            path = folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
            path.write_bytes(message.message().as_bytes(linesep="\r\n"))
            sent += 1
        return sent


class SigningSmtpBackend(smtp.EmailBackend):
    """Django's SMTP backend with a DKIM signature on each message; the settings choose it
    when mail goes over SMTP and a DKIM key is configured. `_send` is Django's own (5.2) but
    for the bytes, which come from message_sign. Every failure still comes out of
    send_messages as Django's would, so the newsletter engine's per-recipient outcomes and
    core.mail.classify see the same exceptions."""

    def _send(self, email_message):
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = sanitize_address(email_message.from_email, encoding)
        recipients = [sanitize_address(addr, encoding) for addr in email_message.recipients()]
        raw = message_sign(email_message.message(), from_address=from_email)
        try:
            self.connection.sendmail(from_email, recipients, raw)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True


class Fault(enum.Enum):
    """What an SMTP failure says, and so what to do next. One classification for all mail."""

    RECIPIENT_REFUSED = "recipient refused"  # 5xx on RCPT: this address is a hard bounce
    RECIPIENT_DEFERRED = "recipient deferred"  # 4xx on RCPT: this address, later
    DEFERRED = "deferred"  # 4xx elsewhere, or the connection failed: everything, later
    REFUSED = "refused"  # 5xx to the sender, the message or the session: a fault of ours


# What sending one message may raise, over SMTP or a provider's API (anymail): classify knows each.
SEND_ERRORS = (smtplib.SMTPException, OSError, AnymailError)


def classify(error: Exception) -> Fault:
    """Only a refusal of the recipient is about that address. A permanent refusal of the
    sender (an unverified From), of the message (spam, too large) or of the session (bad
    credentials) would be the same for every recipient, so it must stop a mailing, not
    bounce its readers one by one. A provider's answers (core.providers) mean the same."""
    if is_provider_error(error):
        return Fault(provider_fault(error))
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return Fault.RECIPIENT_REFUSED if codes and min(codes) >= 500 else Fault.RECIPIENT_DEFERRED
    if isinstance(error, smtplib.SMTPResponseException):
        return Fault.REFUSED if error.smtp_code >= 500 else Fault.DEFERRED
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return Fault.REFUSED  # e.g. STARTTLS or AUTH configured but not offered: ours to fix
    return Fault.DEFERRED  # a dropped connection, a timeout, a refused connect


def describe(error: Exception) -> str:
    """The server's answer in one line, for ledgers and editors."""
    if is_provider_error(error):
        return provider_describe(error)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        return f"{code} {_text(text)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


class MailDeferred(Exception):
    """Try again later: the server or the connection failed in a way a later try may not."""


class MailRefused(Exception):
    """Permanent: the recipient does not exist, or the server will not take this message."""

    def __init__(self, fault: Fault, text: str):
        super().__init__(text)
        self.fault = fault


def deliver(message: EmailMessage) -> bool:
    """Send one transactional message, unless its address is suppressed (core.suppression)
    and the message is not one its holder asked for: then nothing is sent, the skip is
    counted on the suppression, and False comes back. Failures come out as MailDeferred or
    MailRefused; an address refused for good is suppressed for all mail."""
    addresses = [parseaddr(str(recipient))[1].lower() for recipient in message.recipients()]
    try:
        suppressed = (
            {} if message.extra_headers.get(REQUESTED_HEADER) else suppression_reasons(addresses)
        )
    except (OperationalError, InterfaceError) as error:  # the list must be read: later, then
        raise MailDeferred(f"Suppression list unavailable: {error}") from error
    if suppressed:
        suppression_skips_record(suppressed)
        logger.info("Mail skipped: its address is suppressed (%s).", ", ".join(suppressed.values()))
        return False
    try:
        message.send(fail_silently=False)
    except SEND_ERRORS as error:
        fault = classify(error)
        if fault in (Fault.RECIPIENT_DEFERRED, Fault.DEFERRED):
            raise MailDeferred(describe(error)) from error
        if fault is Fault.RECIPIENT_REFUSED and len(addresses) == 1:
            suppression_add(email=addresses[0], reason="bounced", detail=describe(error))
        raise MailRefused(fault, describe(error)) from error
    return True


# Celery's retry options for any task that sends mail: only MailDeferred comes back.
RETRY_POLICY = {
    "autoretry_for": (MailDeferred,),
    "retry_backoff": 10,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


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
    context = {**mail_context(), **context}
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
    payload = email_payload(message)
    transaction.on_commit(lambda: send_email.delay(payload))


def _send_email(payload: dict) -> None:
    """Send one rendered message: account, subscription or comment mail.

    A 4xx answer or a connection failure raises MailDeferred, which RETRY_POLICY retries with
    backoff. A 5xx answer is final: a refused address is logged as a warning; a refusal of our
    sender or of the message is logged as an error for whoever runs the site, since it is
    ours to fix and would be refused again.
    """
    try:
        deliver(email_from_payload(payload))
    except MailRefused as error:
        if error.fault is Fault.RECIPIENT_REFUSED:
            logger.warning("Mail to one recipient refused for good: %s", error)
        else:
            logger.error("The mail server refused our message (check the sender): %s", error)


send_email = shared_task(name="core.mail.send_email", **RETRY_POLICY)(_send_email)
# The task's name before core/ existed: mail queued by a running release is still sent.
shared_task(name="accounts.tasks.send_email", **RETRY_POLICY)(_send_email)
