"""The one redaction of what leaves the process for operators: log lines and error reports.

Signed links open a reader's subscription or account for whoever holds them, and addresses are
personal data: neither belongs in a log aggregator or an error tracker. `redact` takes them out
of any text; `scrub` applies it to every string of a structure (a Sentry event, a log line).
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[redacted]"

# The path segment after these is a token or key: the newsletter's confirm, preferences and
# unsubscribe, trial follows' confirm and unfollow, the moderators' comment undo, allauth's
# confirm-email/<key> and password/reset/key/<uid>-<key>.
# (tests/core/test_redaction.py walks every URL pattern with a token or key and checks it.)
_TOKEN_SEGMENT = re.compile(
    r"(/(?:confirm|preferences|unsubscribe|unfollow|undo|confirm-email|key)/)(?!done/)[^/?#\s\"'<>]+"
)
# Query parameters that carry a secret or an address, raw or percent-encoded ("%3D" is "=").
_SECRET_PARAMETER = re.compile(
    r"((?:^|[?&;\s])(?:token|key|signature|sig|code|email|password)(?:=|%3D))[^&;#\s\"'<>]+",
    re.IGNORECASE,
)
# A Django-signed value (value:timestamp:signature or value:signature) wherever it appears.
# Django signs with SHA-256: 43 characters of URL-safe base64 after the last colon.
_SIGNED_VALUE = re.compile(r"[\w.+\-]+(?::[0-9A-Za-z]{4,8})?:[\w\-]{43}(?![\w\-])")
# Quotes, "=" and "?" left out of the local part: an address in a repr or a query string ends there.
_EMAIL_ADDRESS = re.compile(r"[\w.!#$%&*+/^{|}~\-]+(?:@|%40)[\w\-]+(?:\.[\w\-]+)+")


def redact(text: str) -> str:
    """`text` without signed tokens (in paths, query strings or anywhere) and email addresses."""
    text = _TOKEN_SEGMENT.sub(rf"\1{REDACTED}", text)
    text = _SECRET_PARAMETER.sub(rf"\1{REDACTED}", text)
    text = _SIGNED_VALUE.sub(REDACTED, text)
    return _EMAIL_ADDRESS.sub("[email]", text)


def scrub(value: Any) -> Any:
    """`value` with `redact` applied to every string in it, keys included; other values as is."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {scrub(key): scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub(item) for item in value)
    return value
