"""Mail providers' tracking webhooks (anymail's views), mounted at /anymail/<provider>/tracking/.

A post is taken only when it proves it comes from the provider: always anymail's shared-secret
basic auth (ANYMAIL["WEBHOOK_SECRET"], "user:password" in the URL given to the provider), and
the provider's own signature where anymail verifies one (Mailgun's webhook signing key). A
webhook whose secrets are not configured answers 403 to everyone, rather than anymail's
default of taking unauthenticated posts with a warning. A post that fails authentication gets
403 and one that cannot be read 400; neither reaches anymail's `tracking` signal, so neither
changes anything. A receiver's own failure is a 500, which providers retry.
"""

from __future__ import annotations

import logging

from anymail.exceptions import AnymailError, AnymailWebhookValidationFailure
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.brevo import BrevoTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)

# provider in the URL: (anymail's view, the ANYMAIL settings it needs besides WEBHOOK_SECRET).
WEBHOOKS = {
    "amazon_ses": (AmazonSESTrackingWebhookView, ()),
    "brevo": (BrevoTrackingWebhookView, ()),
    "mailgun": (MailgunTrackingWebhookView, ("MAILGUN_WEBHOOK_SIGNING_KEY",)),
    "postmark": (PostmarkTrackingWebhookView, ()),
}


class UnreadablePost(AnymailWebhookValidationFailure):
    """The post passed authentication but is not the provider's event format."""


def _reading_safely(view_class: type) -> type:
    """anymail's view, with an unreadable body (not JSON, fields missing) refused as such
    rather than raising a 500 from the parser."""

    class Checked(view_class):
        def parse_events(self, request):
            try:
                return super().parse_events(request)
            except (AnymailError, ImproperlyConfigured, ValueError, LookupError, TypeError,
                    AttributeError) as error:  # fmt: skip
                raise UnreadablePost(f"{type(error).__name__}: {error}") from error

    Checked.__name__ = Checked.__qualname__ = view_class.__name__
    return Checked


def configured(needed: tuple[str, ...]) -> bool:
    anymail = getattr(settings, "ANYMAIL", {})
    return all(anymail.get(name) for name in ("WEBHOOK_SECRET", *needed))


def tracking_webhook(provider: str):
    view_class, needed = WEBHOOKS[provider]
    view = _reading_safely(view_class).as_view()

    @csrf_exempt
    def webhook(request, *args, **kwargs):
        if not configured(needed):
            logger.warning("The %s webhook was posted to but is not configured.", provider)
            return HttpResponse("This webhook is not configured.", status=403)
        try:
            return view(request, *args, **kwargs)
        except UnreadablePost as error:
            logger.warning("Unreadable %s webhook post refused: %s", provider, error)
            return HttpResponse("Unreadable event.", status=400)
        except AnymailWebhookValidationFailure as error:
            logger.warning("Unauthenticated %s webhook post refused: %s", provider, error)
            return HttpResponse("Authentication failed.", status=403)

    return webhook


app_name = "anymail"
urlpatterns = [
    path(f"{provider}/tracking/", tracking_webhook(provider), name=f"{provider}_tracking_webhook")
    for provider in WEBHOOKS
]
