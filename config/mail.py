"""Development mail: every message becomes one .eml file in EMAIL_FILE_PATH (var/mail/)."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

FILE_BACKEND = "config.mail.EmlFileBackend"
# Marks mail that carries an account's keys (verification, password reset, email change); the
# outbox never shows it.
ACCOUNT_SECURITY_HEADER = "X-Driverline-Account-Security"


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
