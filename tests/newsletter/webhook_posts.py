"""Webhook posts in the providers' own shapes: Postmark's bounce, spam complaint and
subscription change webhooks and Mailgun's signed event webhooks, as their documentation
gives them (and anymail's tests use them), with the fields a test cares about filled in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

WEBHOOK_SECRET = "driverline-hooks:s3cret-word"
MAILGUN_SIGNING_KEY = "key-mailgun-signing-0123456789"


def basic_auth(secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def postmark_bounce(
    *, email: str, message_id: str, kind: str = "HardBounce", event_id: int = 4323372036854775807,
    at: str = "2026-12-04T16:33:54.9070259Z",
) -> dict:  # fmt: skip
    descriptions = {
        "HardBounce": ("Hard bounce", 1, "The server was unable to deliver your message "
                       "(ex: unknown user, mailbox not found)."),
        "SoftBounce": ("Soft bounce", 4096, "The server could not temporarily deliver your "
                       "message (ex: Message is delayed due to network troubles)."),
        "SpamComplaint": ("Spam complaint", 512, "The subscriber explicitly marked this "
                          "message as spam."),
    }  # fmt: skip
    name, code, description = descriptions[kind]
    return {
        "RecordType": "SpamComplaint" if kind == "SpamComplaint" else "Bounce",
        "MessageStream": "outbound",
        "ID": event_id,
        "Type": kind,
        "TypeCode": code,
        "Name": name,
        "Tag": "Test",
        "MessageID": message_id,
        "Metadata": {},
        "ServerID": 23,
        "Description": description,
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "newsletter@driverline.example",
        "BouncedAt": at,
        "DumpAvailable": True,
        "Inactive": kind != "SoftBounce",
        "CanActivate": True,
        "Subject": "This week in precision oncology",
    }


def postmark_subscription_change(*, email: str, message_id: str) -> dict:
    return {
        "RecordType": "SubscriptionChange",
        "MessageID": message_id,
        "ServerID": 123456,
        "MessageStream": "outbound",
        "ChangedAt": "2026-12-04T10:53:34.416071Z",
        "Recipient": email,
        "Origin": "Recipient",
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
        "Tag": "my-tag",
        "Metadata": {},
    }


def mailgun_event(
    *, email: str, message_id: str, event: str = "failed", severity: str = "permanent",
    key: str = MAILGUN_SIGNING_KEY, timestamp: float = 1764866000.375624,
) -> dict:  # fmt: skip
    """Mailgun's webhook body: the event and a signature over its timestamp and token.
    Mailgun reports the message by its Message-ID header, without the angle brackets."""
    token = uuid.uuid4().hex + uuid.uuid4().hex[:18]
    signed_at = str(int(timestamp))
    signature = hmac.new(key.encode(), f"{signed_at}{token}".encode(), hashlib.sha256).hexdigest()
    data = {
        "event": event,
        "id": uuid.uuid4().hex[:22],
        "timestamp": timestamp,
        "log-level": "error" if event == "failed" else "warn",
        "recipient": email,
        "recipient-domain": email.split("@")[1],
        "message": {
            "headers": {
                "to": email,
                "message-id": message_id.strip("<>"),
                "from": "Driverline newsletter <newsletter@driverline.example>",
                "subject": "This week in precision oncology",
            },
            "attachments": [],
            "size": 111,
        },
        "tags": [],
        "user-variables": {},
    }
    if event == "failed":
        permanent = severity == "permanent"
        data.update(severity=severity, reason="bounce" if permanent else "generic")
        data["delivery-status"] = {
            "attempt-no": 1,
            "code": 550 if permanent else 452,
            "message": "5.1.1 The email account that you tried to reach does not exist."
            if permanent
            else "4.2.2 The email account that you tried to reach is over quota.",
            "description": "",
            "session-seconds": 0.1,
        }
    return {
        "signature": {"timestamp": signed_at, "token": token, "signature": signature},
        "event-data": data,
    }


def post(client, provider: str, payload, *, auth: dict | None = None):
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post(
        f"/anymail/{provider}/tracking/",
        data=body,
        content_type="application/json",
        **(basic_auth() if auth is None else auth),
    )
