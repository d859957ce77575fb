from django.apps import AppConfig


class CommentsConfig(AppConfig):
    """Threaded, moderated discussion."""

    name = "comments"

    def ready(self) -> None:
        from comments import personal_data  # noqa: F401  (registers the exporter)
