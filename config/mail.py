"""Mail on the ground floor: the development file backend (one .eml per message in
EMAIL_FILE_PATH, var/mail/) and the one classification of SMTP failures that every kind of
mail follows."""

from __future__ import annotations

import enum
import smtplib
import uuid
from email import policy
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

FILE_BACKEND = "config.mail.EmlFileBackend"
# Marks mail that carries an account's keys (verification, password reset, email change); the
# outbox never shows it.
ACCOUNT_SECURITY_HEADER = "X-Driverline-Account-Security"


class MailMessage(EmailMultiAlternatives):
    """Every message we send. Django's legacy header folding puts a long non-ASCII subject
    on a continuation line after an empty "Subject:"; the modern policy folds it properly."""

    def message(self, *args, **kwargs):
        msg = super().message(*args, **kwargs)
        folded = policy.SMTP.fold("Subject", str(self.subject)).removeprefix("Subject: ")
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


class Fault(enum.Enum):
    """What an SMTP failure says, and so what to do next. One classification for all mail."""

    RECIPIENT_REFUSED = "recipient refused"  # 5xx on RCPT: this address is a hard bounce
    RECIPIENT_DEFERRED = "recipient deferred"  # 4xx on RCPT: this address, later
    DEFERRED = "deferred"  # 4xx elsewhere, or the connection failed: everything, later
    REFUSED = "refused"  # 5xx to the sender, the message or the session: a fault of ours


def classify(error: Exception) -> Fault:
    """Only a refusal of the recipient is about that address. A permanent refusal of the
    sender (an unverified From), of the message (spam, too large) or of the session (bad
    credentials) would be the same for every recipient, so it must stop a mailing, not
    bounce its readers one by one."""
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


def deliver(message: EmailMessage) -> None:
    """Send one transactional message; failures come out as MailDeferred or MailRefused."""
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        fault = classify(error)
        if fault in (Fault.RECIPIENT_DEFERRED, Fault.DEFERRED):
            raise MailDeferred(describe(error)) from error
        raise MailRefused(fault, describe(error)) from error
