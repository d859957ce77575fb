"""Mail providers' HTTP APIs, through django-anymail: which backend the settings choose, and
what a provider's answer means in the terms of core.mail.classify.

EMAIL_PROVIDER names any anymail backend ("postmark", "mailgun", "amazon_ses", "brevo", …) and
every ANYMAIL_<NAME> variable of the environment becomes ANYMAIL["<NAME>"], so a provider is
chosen by configuration alone (README, "Sending at scale").
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from django.core.exceptions import ImproperlyConfigured

ANYMAIL_PREFIX = "ANYMAIL_"
# HTTP answers that say "later", not "never": the provider is busy, limits our rate, or failed.
RETRY_STATUSES = frozenset({408, 409, 425, 429})


def anymail_settings(environ: Mapping[str, str]) -> dict[str, object]:
    """ANYMAIL from the environment: ANYMAIL_POSTMARK_SERVER_TOKEN=… is
    ANYMAIL["POSTMARK_SERVER_TOKEN"]; "true" and "false" are booleans (anymail's switches)."""
    found: dict[str, object] = {}
    for key, value in environ.items():
        if key.startswith(ANYMAIL_PREFIX) and len(key) > len(ANYMAIL_PREFIX):
            flag = value.strip().lower()
            found[key.removeprefix(ANYMAIL_PREFIX)] = (
                flag == "true" if flag in ("true", "false") else value
            )
    return found


def provider_backend(provider: str) -> str:
    """The anymail backend for EMAIL_PROVIDER; a name anymail does not know stops startup."""
    name = provider.strip().lower().replace("-", "_")
    known = name.isidentifier() and not name.startswith("base")  # base*: anymail's own bases
    if not known or importlib.util.find_spec(f"anymail.backends.{name}") is None:
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER={provider!r} is not a django-anymail provider "
            "(for example postmark, mailgun, amazon_ses, brevo)."
        )
    return f"anymail.backends.{name}.EmailBackend"


def is_provider_error(error: Exception) -> bool:
    return isinstance(error, AnymailError)


def provider_fault(error: AnymailError) -> str:
    """Which core.mail.Fault value ("recipient refused", "deferred" or "refused") fits an
    anymail error. Every recipient rejected or invalid is the address's fault (a hard bounce,
    or an address the provider suppresses); a network failure, a timeout, 429 or 5xx is worth
    another try; any other answer (a bad key, an unverified sender, a message the provider
    will not take) would be the same for every reader: ours to fix."""
    if isinstance(error, AnymailRecipientsRefused):
        return "recipient refused"
    if isinstance(error, AnymailAPIError):
        status = error.status_code
        if status is None or status >= 500 or status in RETRY_STATUSES:
            return "deferred"
    return "refused"


def provider_describe(error: AnymailError) -> str:
    """The provider's answer in one line: its name, the HTTP status, its own message (or,
    when nothing answered, what failed on the way)."""
    head = error.esp_name or "Provider"
    status = error.status_code or getattr(error.response, "status_code", None)
    if status is not None:
        head = f"{head} {status}"
    text = _answer(error) or " ".join(str(arg) for arg in error.args)
    if error.response is None and error.__cause__ is not None:
        text = f"{text} {error.describe_cause()}"
    return " ".join(f"{head}: {text}".split())


def _answer(error: AnymailError) -> str:
    """The message in a provider's JSON answer (Postmark's Message, Mailgun's message)."""
    response = error.response
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, list) and body:
        body = body[0]
    if isinstance(body, dict):
        for key in ("Message", "message", "error", "errors"):
            if body.get(key):
                return str(body[key])
    return str(body)[:300]


def provider_message_id(message) -> str:
    """The provider's id of a message its backend took ("" over SMTP, which has none). A
    provider that answered without raising, though it rejected every recipient (anymail's
    IGNORE_RECIPIENT_STATUS), is taken at its word: that raises AnymailRecipientsRefused."""
    status = getattr(message, "anymail_status", None)
    if status is None or not status.status:
        return ""
    if status.status <= {"rejected", "invalid"}:
        raise AnymailRecipientsRefused(email_message=message)
    found = status.message_id
    if isinstance(found, set):  # several recipients with different ids: not our messages
        found = sorted(str(one) for one in found if one)[0] if any(found) else None
    return str(found or "")[:200]


# The events of anymail's tracking webhooks that change what we know of an address or of a
# message; opens and clicks are not kept (we do not track readers).
TRACKED_EVENTS = frozenset(
    {"delivered", "bounced", "deferred", "complained", "unsubscribed", "rejected", "failed"}
)


def tracking_kind(event) -> str | None:
    """The kind of a tracking event (DeliveryEvent.Kind's values), or None to ignore it.
    Anymail calls some soft bounces "bounced" (Postmark's SoftBounce, Brevo's soft_bounce,
    Amazon SES's transient bounces): those are soft here, which only repetition makes final.
    A provider refusing to send to an address it knows bounced or is invalid is a bounce, to
    one that unsubscribed there an unsubscribe."""
    kind = event.event_type
    if kind == "bounced" and _soft_bounce(event.esp_event):
        return "deferred"
    if kind == "rejected" and event.reject_reason in ("bounced", "invalid"):
        return "bounced"
    if kind == "rejected" and event.reject_reason == "unsubscribed":
        return "unsubscribed"
    return kind if kind in TRACKED_EVENTS else None


def _soft_bounce(raw) -> bool:
    if not hasattr(raw, "get"):
        return False
    if raw.get("Type") == "SoftBounce" or raw.get("event") == "soft_bounce":  # Postmark, Brevo
        return True
    bounce = raw.get("bounce")  # Amazon SES
    return isinstance(bounce, dict) and bounce.get("bounceType") in ("Transient", "Undetermined")
