from django.apps import AppConfig


class CommentsConfig(AppConfig):
    """Threaded, moderated discussion (issue #4)."""

    name = "comments"
