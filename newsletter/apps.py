from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    """Subscriptions, editions and the Celery delivery engine."""

    name = "newsletter"

    def ready(self) -> None:
        from anymail.signals import tracking

        from newsletter import health, personal_data  # noqa: F401  (register their parts)
        from newsletter.provider_events import tracking_received

        # Bounces, complaints and unsubscribes reported by the providers' webhooks.
        tracking.connect(tracking_received, dispatch_uid="newsletter.provider_events")
