from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    """Subscriptions, editions and the Celery delivery engine."""

    name = "newsletter"

    def ready(self) -> None:
        from newsletter import personal_data  # noqa: F401  (registers the exporter)
