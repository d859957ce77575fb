from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    """The evidence under the articles: trials they cite, followed on the registry."""

    name = "evidence"
