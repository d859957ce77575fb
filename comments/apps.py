from django.apps import AppConfig


class CommentsConfig(AppConfig):
    """Threaded, moderated discussion."""

    name = "comments"

    def ready(self) -> None:
        from django.db.models import Count, Q

        from articles.models import register_listing_annotation
        from comments import personal_data  # noqa: F401  (registers the exporter)

        @register_listing_annotation
        def comment_count(articles):
            # One aggregate in the listing query itself: no query per article.
            return articles.annotate(
                comment_count=Count("comments", filter=Q(comments__status="approved"))
            )
