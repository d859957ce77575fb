from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    """Subscriptions, editions and the Celery delivery engine (issue #5)."""

    name = "newsletter"
